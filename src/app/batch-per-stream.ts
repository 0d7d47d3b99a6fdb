export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

type Waiting<I, O> = { readonly item: I; resolve(value: O): void; reject(error: unknown): void };

/**
 * Items for one key are handled one batch at a time, different keys in
 * parallel. While a batch is in flight, newcomers for the same key queue and
 * go together in the next batch: commands on one account neither race each
 * other into revision conflicts nor wait for one append each.
 */
export class BatchPerStream<I, O> {
  private readonly queues = new Map<string, Waiting<I, O>[]>();

  constructor(
    private readonly handleBatch: (key: string, items: readonly I[]) => Promise<Settled<O>[]>,
    private readonly maxBatch: number,
  ) {}

  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) queue.push({ item, resolve, reject });
      else {
        const fresh = [{ item, resolve, reject }];
        this.queues.set(key, fresh);
        void this.drain(key, fresh);
      }
    });
  }

  private async drain(key: string, queue: Waiting<I, O>[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        const results = await this.handleBatch(key, batch.map((w) => w.item));
        batch.forEach((w, i) => {
          const r = results[i];
          if (r === undefined) w.reject(new Error('batch handler gave no result'));
          else if (r.ok) w.resolve(r.value);
          else w.reject(r.error);
        });
      } catch (e) {
        batch.forEach((w) => w.reject(e));
      }
    }
    // Synchronous since the last check: nothing can have been queued in between.
    this.queues.delete(key);
  }
}
