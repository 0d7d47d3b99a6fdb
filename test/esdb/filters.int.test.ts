import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { START, eventTypeFilter, jsonEvent, streamNameFilter, type ResolvedEvent } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { startFixture, type EsdbFixture } from './esdb-fixture.js';

// Issue 16, item 1: a stream-name filter tests the record's own stream, so the
// `$ce-`/`$et-` links of matching events (streams `$ce-accx`, `$et-Opened`)
// never match `accx-1`. With the standard projections on, so links exist.
let f: EsdbFixture;
const tag = `accx${Date.now().toString(36)}`;
beforeAll(async () => {
  f = await startFixture({ systemProjections: true });
  await f.client.appendToStream(`${tag}-1`, [jsonEvent({ type: `${tag}Opened`, data: {} }), jsonEvent({ type: `${tag}Dep`, data: {} })]);
  await f.client.appendToStream(`${tag}-10`, [jsonEvent({ type: `${tag}Opened`, data: {} })]);
  await f.client.appendToStream(`${tag}-2`, [jsonEvent({ type: `${tag}Opened`, data: {} })]);
});
afterAll(() => f.close());

const records = (events: readonly ResolvedEvent[]) => events.map((e) => [e.event?.streamId, e.event?.type]);
const expected = [
  [`${tag}-1`, `${tag}Opened`],
  [`${tag}-1`, `${tag}Dep`],
  [`${tag}-10`, `${tag}Opened`],
];

/** A catch-up subscription to $all from the start, until caught up. */
const subscribe = async (filter: Parameters<typeof f.client.subscribeToAll>[0]): Promise<ResolvedEvent[]> => {
  const sub = f.client.subscribeToAll({ fromPosition: START, ...filter });
  const seen: ResolvedEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    sub.on('data', (e: ResolvedEvent) => seen.push(e));
    sub.on('caughtUp', () => resolve());
    sub.on('error', reject);
  });
  await sub.unsubscribe();
  return seen;
};

describe('stream-name filters test the record\'s own stream, never a link\'s target', () => {
  test('catch-up subscription, prefix and regex', async () => {
    expect(records(await subscribe({ filter: streamNameFilter({ prefixes: [`${tag}-1`] }) }))).toEqual(expected);
    expect(records(await subscribe({ filter: streamNameFilter({ regex: `^${tag}-1` }) }))).toEqual(expected);
    // With resolveLinkTos the answer is the same: there is no link to resolve among the matches.
    const resolved = await subscribe({ filter: streamNameFilter({ prefixes: [`${tag}-1`] }), resolveLinkTos: true });
    expect(records(resolved)).toEqual(expected);
    expect(resolved.every((e) => e.link === undefined)).toBe(true);
    // The link streams match by their own names.
    const links = await subscribe({ filter: streamNameFilter({ prefixes: [`$ce-${tag}`] }) });
    expect(links.map((e) => e.event?.type)).toEqual(['$>', '$>', '$>', '$>']);
  });

  test('an event-type filter tests the record\'s own type: links ($>) do not match their target\'s type', async () => {
    const seen = await subscribe({ filter: eventTypeFilter({ prefixes: [`${tag}Opened`] }) });
    expect(records(seen)).toEqual([
      [`${tag}-1`, `${tag}Opened`],
      [`${tag}-10`, `${tag}Opened`],
      [`${tag}-2`, `${tag}Opened`],
    ]);
  });

  test('a filtered $all read, as clients that send read filters ask it (the 6.2 client\'s readAll sends none)', async () => {
    const expr = new streamsPb.ReadReq.Options.FilterOptions.Expression().setPrefixList([`${tag}-1`]);
    const filter = new streamsPb.ReadReq.Options.FilterOptions().setStreamIdentifier(expr).setMax(32).setCheckpointintervalmultiplier(1);
    const options = new streamsPb.ReadReq.Options()
      .setAll(new streamsPb.ReadReq.Options.AllOptions().setStart(new sharedPb.Empty()))
      .setReadDirection(streamsPb.ReadReq.Options.ReadDirection.FORWARDS)
      .setResolveLinks(false)
      .setCount('1000')
      .setUuidOption(new streamsPb.ReadReq.Options.UUIDOption().setString(new sharedPb.Empty()))
      .setFilter(filter);
    const client = new streamsGrpc.StreamsClient(f.server.connectionString.replace(/^esdb:\/\/([^?]+).*$/, '$1'), grpc.credentials.createInsecure());
    try {
      const got = await new Promise<string[][]>((resolve, reject) => {
        const out: string[][] = [];
        const call = client.read(new streamsPb.ReadReq().setOptions(options));
        call.on('data', (r: InstanceType<typeof streamsPb.ReadResp>) => {
          const e = r.getEvent()?.getEvent();
          if (e !== undefined) out.push([Buffer.from(e.getStreamIdentifier()!.getStreamName_asU8()).toString(), e.getMetadataMap().get('type') as string]);
        });
        call.on('error', reject);
        call.on('end', () => resolve(out));
      });
      expect(got).toEqual(expected);
    } finally {
      client.close();
    }
  });
});
