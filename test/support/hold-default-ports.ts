import { createServer, type Server } from 'node:net';
import { loadConfig } from '../../src/config.js';

/**
 * Vitest global setup (issue 11, part 4): holds Ledger's default listener
 * ports (gRPC, Admin, metrics) for the whole run, as a running `npm start`
 * would, so a test that forgets to give a listener a free port fails here,
 * every time, instead of only on a machine where Ledger is running. A port
 * already taken (by `npm start` itself) is simply left to its owner.
 */
export default async function holdDefaultPorts(): Promise<() => Promise<void>> {
  const defaults = loadConfig({});
  const held: Server[] = [];
  for (const port of new Set([defaults.GRPC_PORT, defaults.ADMIN_PORT, defaults.METRICS_PORT])) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (bound) held.push(server);
  }
  return async () => {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
}
