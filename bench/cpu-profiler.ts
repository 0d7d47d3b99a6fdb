import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * A CPU profile of this process between start() and stop(), written as a
 * .cpuprofile (loadable in Chrome DevTools). Uses the in-process inspector,
 * so only the measured scenario is profiled, not start-up or set-up.
 */
export class CpuProfiler {
  private readonly session = new Session();

  constructor(private readonly dir: string) {
    this.session.connect();
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }

  async start(): Promise<void> {
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.post('Profiler.start');
  }

  /** Stops and writes `<name>.cpuprofile` in the directory; returns its path. */
  async stop(name: string): Promise<string> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: object };
    const file = join(this.dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}
