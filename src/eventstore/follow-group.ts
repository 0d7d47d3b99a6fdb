/** One connection to a persistent subscription group, as followGroup needs it (AccountSubscription is one). */
export type GroupConnection<Delivery> = {
  deliveries(): AsyncIterable<Delivery>;
  close(): Promise<void>;
};

type DeliveryOf<Connection> = Connection extends GroupConnection<infer Delivery> ? Delivery : never;

export type FollowGroupOptions = {
  /** True once the caller stops: a connection ending then is no drop, and no new one is opened. */
  readonly stopping: () => boolean;
  /** A connection failed while not stopping (it is reopened after the back-off). */
  readonly onDropped: (err: unknown) => void;
  /** After a connection's deliveries end, before it is closed: finish what is in flight, send its acks. */
  readonly settle?: () => Promise<void>;
  /** Waits between connections; tests pass their own clock. */
  readonly sleep?: (ms: number) => Promise<void>;
};

/** First wait after a drop; doubles per connection that delivered nothing, up to MAX_BACK_OFF_MS. */
export const FIRST_BACK_OFF_MS = 100;
export const MAX_BACK_OFF_MS = 5_000;

/**
 * Stays connected to a persistent subscription group until stopped: opens a
 * connection, hands each delivery to `consume` (which acks, retries or
 * parks it), and when the connection drops or ends, settles, closes it and
 * opens another after min(100 ms · 2^n, 5 s), n counting the connections in
 * a row that delivered nothing (a server down is not hammered; one that
 * delivers again is rejoined at once the next time). Resolves once
 * `stopping()` holds and the last connection is closed.
 */
export async function followGroup<Connection extends GroupConnection<unknown>>(
  open: () => Connection,
  consume: (connection: Connection, delivery: DeliveryOf<Connection>) => Promise<void>,
  options: FollowGroupOptions,
): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let idle = 0; !options.stopping(); ) {
    const connection = open();
    try {
      for await (const delivery of connection.deliveries()) {
        idle = 0;
        await consume(connection, delivery as DeliveryOf<Connection>);
      }
    } catch (err) {
      if (!options.stopping()) options.onDropped(err);
    }
    await options.settle?.();
    await connection.close().catch(() => {});
    if (!options.stopping()) await sleep(Math.min(FIRST_BACK_OFF_MS * 2 ** idle++, MAX_BACK_OFF_MS));
  }
}
