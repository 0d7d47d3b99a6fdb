/** google.rpc.Code values used in BatchAppend error statuses (same numbers as gRPC status codes). */
export const UNKNOWN = 2;
export const INVALID_ARGUMENT = 3;
export const DEADLINE_EXCEEDED = 4;
export const FAILED_PRECONDITION = 9;
