/**
 * The node's HTTP endpoints on the gRPC port, as a real 23.10 node serves
 * them on 2113: ops tooling's calls (`/health/live`, `/ping`, `/info`,
 * `/gossip`) through node's own HTTP clients, while @eventstore/db-client
 * appends and consumes a persistent subscription on the same port.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as https from 'node:https';
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { EventStoreDBClient, PARK, persistentSubscriptionToStreamSettingsFromDefaults, type PersistentSubscriptionToStreamResolvedEvent } from '@eventstore/db-client';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import gossipPb from '@eventstore/db-client/generated/gossip_pb.js';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { deposits, uniqueStream } from './esdb-fixture.js';
import { startSecureFixture, type SecureFixture } from './secure-fixture.js';

/** gRPC Gossip.Read through the client package's own generated stubs. */
const grpcGossip = (port: number): Promise<InstanceType<typeof gossipPb.ClusterInfo>> => {
  const client = new gossipGrpc.GossipClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.read(new sharedPb.Empty(), (err, info) => {
      client.close();
      if (err !== null) reject(err);
      else resolve(info);
    }),
  );
};

/** Writes `request` a few bytes at a time (as a slow client would) and returns the raw response's status line. */
const rawHttp = (port: number, request: string, chunk: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.slice(0, answer.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (let i = 0; i < request.length; i += chunk) {
        socket.write(request.slice(i, i + chunk));
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });

describe('insecure node: HTTP and gRPC on one port', () => {
  let server: EsdbServer;
  let client: EventStoreDBClient;
  let base: string;
  beforeAll(async () => {
    server = await startEsdbServer({ port: 0, memory: true });
    client = EventStoreDBClient.connectionString(server.connectionString);
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await client.dispose();
    await server.stop();
  });

  test('health, ping and info answer as 23.10 while appends and a persistent subscription run on the same port', async () => {
    const stream = uniqueStream('http-coexist');
    await client.createPersistentSubscriptionToStream(stream, 'ops', persistentSubscriptionToStreamSettingsFromDefaults());
    const sub = client.subscribeToPersistentSubscriptionToStream(stream, 'ops');
    const received: number[] = [];
    const consumed = (async () => {
      for await (const e of sub as AsyncIterable<PersistentSubscriptionToStreamResolvedEvent>) {
        received.push(Number(e.event?.revision));
        await sub.ack(e);
        if (received.length === 20) break;
      }
    })();
    // Appends and HTTP calls interleaved on the one port.
    const httpAnswers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [append, live] = await Promise.all([client.appendToStream(stream, deposits(2, i * 2)), fetch(`${base}/health/live`)]);
      expect(append.success).toBe(true);
      httpAnswers.push(live.status);
    }
    await consumed;
    await sub.unsubscribe();
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(httpAnswers).toEqual(Array(10).fill(204));

    const head = await fetch(`${base}/health/live`, { method: 'HEAD' });
    expect(head.status).toBe(204);

    const ping = await fetch(`${base}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ping.json()).toEqual({ text: 'Ping request successfully handled' });

    const info = await fetch(`${base}/info`);
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({
      esVersion: '23.10.0',
      state: 'leader',
      features: { projections: false, userManagement: false, atomPub: false },
      authentication: { type: 'insecure', properties: {} },
    });
  });

  test('/gossip reports the member the gRPC gossip service reports, with the log position', async () => {
    await client.appendToStream(uniqueStream('http-gossip'), deposits(3));
    const viaGrpc = (await grpcGossip(server.port)).getMembersList();
    const viaHttp = (await (await fetch(`${base}/gossip`)).json()) as { members: Array<Record<string, unknown>>; serverIp: string; serverPort: number };
    expect(viaGrpc).toHaveLength(1);
    expect(viaHttp.members).toHaveLength(1);
    const g = viaGrpc[0]!;
    const h = viaHttp.members[0]!;
    expect(h.instanceId).toBe(g.getInstanceId()?.getString());
    expect([h.state, h.isAlive]).toEqual(['Leader', g.getIsAlive()]);
    expect(g.getState()).toBe(gossipPb.MemberInfo.VNodeState.LEADER);
    expect([h.httpEndPointIp, h.httpEndPointPort]).toEqual([g.getHttpEndPoint()?.getAddress(), g.getHttpEndPoint()?.getPort()]);
    expect([viaHttp.serverIp, viaHttp.serverPort]).toEqual(['127.0.0.1', server.port]);
    expect(h.esVersion).toBe('23.10.0');
    // .NET's round-trip date, within seconds of the gRPC answer's ticks.
    expect(h.timeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    const grpcMs = Number(BigInt(g.getTimeStamp()) / 10_000n);
    expect(Math.abs(Date.parse(h.timeStamp as string) - grpcMs)).toBeLessThan(10_000);
    // The epoch written at start and a writer checkpoint past it (the appends above).
    expect(h.epochNumber).toBe(0);
    expect(h.writerCheckpoint as number).toBeGreaterThan(h.epochPosition as number);
  });

  test('anything else is 404, other methods 405; a request arriving a few bytes at a time is still HTTP', async () => {
    expect((await fetch(`${base}/streams/foo`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/info`, { method: 'POST', body: '{}' })).status).toBe(405);
    // "P" could start the HTTP/2 preface; the next bytes decide.
    expect(await rawHttp(server.port, 'POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 1)).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(await rawHttp(server.port, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n', 3)).toBe('HTTP/1.1 204 No Content');
    // gRPC still works after all that.
    expect((await client.appendToStream(uniqueStream('after-http'), deposits(1))).success).toBe(true);
  });

  test('with advertise-as, /gossip reports the advertised endpoint, as gRPC gossip does, and the bound one as internal', async () => {
    const advertised = await startEsdbServer({ port: 0, memory: true, advertiseHost: 'esdb.example', advertisePort: 443 });
    try {
      const g = (await grpcGossip(advertised.port)).getMembersList()[0]!;
      const h = ((await (await fetch(`http://127.0.0.1:${advertised.port}/gossip`)).json()) as { members: Array<Record<string, unknown>> }).members[0]!;
      expect([g.getHttpEndPoint()?.getAddress(), g.getHttpEndPoint()?.getPort()]).toEqual(['esdb.example', 443]);
      expect([h.httpEndPointIp, h.httpEndPointPort, h.internalHttpEndPointIp, h.internalHttpEndPointPort]).toEqual(['esdb.example', 443, '127.0.0.1', advertised.port]);
    } finally {
      await advertised.stop();
    }
  });
});

/** GET over TLS trusting `ca` (offering HTTP/1.1 by ALPN, or no ALPN at all): status, body, the protocol agreed. */
const httpsGet = (port: number, path: string, ca: Buffer, alpn = true): Promise<{ status: number; body: string; alpn: string | false | null }> =>
  new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, ca, agent: false, ...(alpn ? { ALPNProtocols: ['http/1.1'] } : {}) }, (res) => {
      const alpn = (res.socket as TLSSocket).alpnProtocol;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, alpn }));
    });
    req.on('error', reject);
  });

describe('secure node: HTTPS and gRPC over TLS on one port', () => {
  let fixture: SecureFixture;
  beforeAll(async () => {
    fixture = await startSecureFixture();
  });
  afterAll(async () => {
    await fixture.close();
  });

  test('HTTPS answers (HTTP/1.1 by ALPN, or without ALPN) next to an authenticated client appending and consuming, and plaintext HTTP gets nothing', async () => {
    const ca = readFileSync(fixture.caFile);
    const admin = fixture.clientAs('admin');
    const stream = uniqueStream('https-coexist');
    await admin.createPersistentSubscriptionToStream(stream, 'ops', persistentSubscriptionToStreamSettingsFromDefaults());
    await admin.appendToStream(stream, deposits(3));
    const sub = admin.subscribeToPersistentSubscriptionToStream(stream, 'ops');
    const seen: number[] = [];
    for await (const e of sub as AsyncIterable<PersistentSubscriptionToStreamResolvedEvent>) {
      seen.push(Number(e.event?.revision));
      if (seen.length < 3) await sub.ack(e);
      else {
        await sub.nack(PARK, 'checking park over TLS', e);
        break;
      }
    }
    await sub.unsubscribe();
    expect(seen).toEqual([0, 1, 2]);

    const live = await httpsGet(fixture.server.port, '/health/live', ca);
    expect([live.status, live.alpn]).toEqual([204, 'http/1.1']);
    const noAlpn = await httpsGet(fixture.server.port, '/ping', ca, false);
    expect([noAlpn.status, noAlpn.alpn, JSON.parse(noAlpn.body)]).toEqual([200, false, { text: 'Ping request successfully handled' }]);
    const info = await httpsGet(fixture.server.port, '/info', ca);
    expect(JSON.parse(info.body)).toMatchObject({ esVersion: '23.10.0', state: 'leader', features: { userManagement: true }, authentication: { type: 'internal' } });
    const gossip = JSON.parse((await httpsGet(fixture.server.port, '/gossip', ca)).body) as { members: Array<{ httpEndPointPort: number }> };
    expect(gossip.members[0]?.httpEndPointPort).toBe(fixture.server.port);
    expect((await httpsGet(fixture.server.port, '/nope', ca)).status).toBe(404);
    // A secure node speaks TLS only: a plaintext request is not answered.
    await expect(fetch(`http://127.0.0.1:${fixture.server.port}/health/live`)).rejects.toThrow();
    expect((await admin.appendToStream(stream, deposits(1, 3))).nextExpectedRevision).toBe(3n);
  });
});
