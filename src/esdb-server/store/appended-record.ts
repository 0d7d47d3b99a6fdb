import type { RecordedEvent } from './types.js';

/**
 * An event appended while the server runs. The store keeps every record in
 * memory, so what each one holds is what the GC traces and promotes: the
 * revision and position stay numbers and become bigints only when read (as
 * the recovered StoredRecord and the ProjectedLink do), two heap objects
 * fewer per event. (Fields are prototype getters: spread `{...record}` does
 * not copy them.)
 */
export class AppendedRecord implements RecordedEvent {
  constructor(
    readonly streamId: string,
    readonly revisionNumber: number,
    readonly positionNumber: number,
    readonly eventId: string,
    readonly type: string,
    readonly contentType: string,
    readonly data: Uint8Array,
    readonly metadata: Uint8Array,
    readonly created: bigint,
  ) {}

  get revision(): bigint {
    return BigInt(this.revisionNumber);
  }
  get position(): bigint {
    return BigInt(this.positionNumber);
  }
}
