/**
 * An upcaster turns the data of one event type from schema_version n into
 * n + 1. Stored events are immutable: an older version is upgraded every
 * time it is read, by every reader, in the decoding pipeline
 * (event-decoder.ts). Chains run n -> n+1 -> ... until no upcaster takes the
 * event's type at its version; each type evolves on its own.
 *
 * Adding a version (the worked example is in docs/read-model.md "Schema versions"):
 * change event-codec.ts to read and write the new shape, raise
 * EVENT_SCHEMA_VERSION, and add the step from the old shape here.
 */
export type EventUpcaster = {
  readonly eventType: string;
  /** The schema_version this step reads; it returns data of fromVersion + 1. */
  readonly fromVersion: number;
  readonly upcast: (data: unknown) => unknown;
};

/** The steps Ledger ships. Empty while every event type is at version 1. */
export const accountEventUpcasters: readonly EventUpcaster[] = [];

/**
 * An event's data brought to the newest version its chain reaches. A
 * missing or non-integer schema_version (a foreign writer) counts as 1.
 */
export function upcastEventData(
  upcasters: readonly EventUpcaster[],
  eventType: string,
  storedVersion: number | undefined,
  data: unknown,
): { readonly version: number; readonly data: unknown } {
  let version = storedVersion ?? 1;
  let current = data;
  // Each step raises the version, so a finite list always ends the chain.
  for (;;) {
    const next = upcasters.find((u) => u.eventType === eventType && u.fromVersion === version);
    if (next === undefined) return { version, data: current };
    current = next.upcast(current);
    version += 1;
  }
}

/** One name per step, for logs and `ledger-admin list`: "MoneyDeposited v1->v2". */
export const upcasterName = (u: EventUpcaster): string => `${u.eventType} v${u.fromVersion}->v${u.fromVersion + 1}`;
