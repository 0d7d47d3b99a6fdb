import { afterAll, describe, expect, test } from 'vitest';
import { EventStoreDBClient } from '@eventstore/db-client';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { parseArgs } from '../../src/esdb-server/cli.js';
import { collect, deposits, uniqueStream } from './esdb-fixture.js';

const servers: EsdbServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('gossip advertises the endpoint clients are to use', () => {
  test('by default the bind address; with advertise-as, the name and port given, which a discovering client then connects to', async () => {
    const target = await startEsdbServer({ port: 0, memory: true });
    servers.push(target);
    // This node advertises the other one's port: a client that discovers through it must end up there.
    const seed = await startEsdbServer({ port: 0, memory: true, advertiseHost: '127.0.0.1', advertisePort: target.port });
    servers.push(seed);
    const discovering = EventStoreDBClient.connectionString(`esdb+discover://127.0.0.1:${seed.port}?tls=false&discoveryInterval=50`);
    const direct = EventStoreDBClient.connectionString(target.connectionString);
    const self = EventStoreDBClient.connectionString(`esdb+discover://127.0.0.1:${target.port}?tls=false&discoveryInterval=50`);
    try {
      const stream = uniqueStream('advertised');
      await discovering.appendToStream(stream, deposits(1));
      expect(await collect(direct.readStream(stream))).toHaveLength(1);
      // Without advertise-as a node advertises itself.
      const own = uniqueStream('own');
      await self.appendToStream(own, deposits(1));
      expect(await collect(direct.readStream(own))).toHaveLength(1);
    } finally {
      await discovering.dispose();
      await direct.dispose();
      await self.dispose();
    }
  });

  test('the command line takes the real node\'s option names', () => {
    const o = parseArgs(['--memory', '--advertise-host-to-client-as', 'esdb.example', '--advertise-node-port-to-client-as', '443']);
    expect([o.advertiseHost, o.advertisePort]).toEqual(['esdb.example', 443]);
    expect(() => parseArgs(['--memory', '--advertise-node-port-to-client-as', '0'])).toThrow(/advertise/);
  });
});
