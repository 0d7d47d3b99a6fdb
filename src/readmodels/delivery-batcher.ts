/**
 * Turns a stream of deliveries into batches: a batch closes when it reaches
 * `max` items or `waitMs` after its first item, whichever comes first, so a
 * busy subscription writes full batches and a quiet one still writes soon.
 */
export class DeliveryBatcher<T> {
  private readonly buffer: T[] = [];
  private ended = false;
  private failure: unknown = undefined;
  private wake: (() => void) | undefined;
  private readonly pump: Promise<void>;

  constructor(source: AsyncIterable<T>) {
    this.pump = (async () => {
      try {
        for await (const item of source) {
          this.buffer.push(item);
          this.notify();
        }
      } catch (err) {
        this.failure = err;
      } finally {
        this.ended = true;
        this.notify();
      }
    })();
  }

  private interrupted = false;

  /** Makes a waiting next() return what it has now (graceful shutdown). */
  interrupt(): void {
    this.interrupted = true;
    this.notify();
  }

  /**
   * The next batch; [] when interrupted with nothing buffered; undefined once
   * the source ended and nothing is left. Rethrows the source's failure.
   */
  async next(max: number, waitMs: number): Promise<T[] | undefined> {
    const interrupted = (): boolean => this.interrupted;
    while (this.buffer.length === 0 && !this.ended && !interrupted()) await this.sleep(undefined);
    if (this.buffer.length === 0) {
      if (interrupted()) return [];
      if (this.failure !== undefined) throw this.failure;
      return undefined;
    }
    const deadline = Date.now() + waitMs;
    while (this.buffer.length < max && !this.ended && !interrupted()) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.sleep(left);
    }
    return this.buffer.splice(0, max);
  }

  /** Settles once the source loop has ended (after the source was closed). */
  async drained(): Promise<void> {
    await this.pump;
  }

  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
