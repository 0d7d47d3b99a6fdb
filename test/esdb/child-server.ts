import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/ledger-esdb.js', import.meta.url));

export interface ChildServer {
  readonly process: ChildProcess;
  readonly connectionString: string;
  /** What the server said on stderr (start-up report). */
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts `ledger-esdb` as a separate process and waits for its connection string. */
export const spawnServer = async (args: readonly string[]): Promise<ChildServer> => {
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const connectionString = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('esdb://'));
      if (line !== undefined) resolve(line.trim());
    });
    void exited.then((code) => reject(new Error(`ledger-esdb exited with ${code}: ${err}`)));
  });
  return { process: child, connectionString, stderr: () => err, exited };
};
