/**
 * Start-up time and resident memory of a `ledger-esdb` child process whose
 * data directory holds N events, each followed by its `$ce-` and `$et-`
 * links as the server writes them (written straight in the log format,
 * which is the quick way to get a million events on disk).
 *   npx tsx bench/esdb-startup.ts [events, default 1000000]
 */
import { mkdtempSync, openSync, closeSync, writeSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecords } from '../src/esdb-server/store/record-codec.js';
import { LOG_FILE } from '../src/esdb-server/store/file-journal.js';
import { BY_CATEGORY, BY_EVENT_TYPE, ProjectedLink } from '../src/esdb-server/store/system-projections.js';
import type { RecordedEvent } from '../src/esdb-server/store/types.js';
import { fmt, startBenchServer } from './esdb-child.js';

const total = Number(process.argv[2] ?? 1_000_000);
const streams = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'esdb-startup-'));
const fd = openSync(join(dir, LOG_FILE), 'w');
const revisions = new Array<bigint>(streams).fill(0n);
const created = BigInt(Date.now()) * 10_000n;
let position = 0;
for (let done = 0; done < total; ) {
  const batch: RecordedEvent[] = [];
  for (let k = 0; k < 10_000 && done < total; k++, done++) {
    const s = done % streams;
    const event: RecordedEvent = {
      streamId: `account-${s}`,
      revision: revisions[s]!,
      position: BigInt(++position),
      eventId: randomUUID(),
      type: 'MoneyDeposited',
      contentType: 'application/json',
      data: Buffer.from(`{"amount":${done},"currency":"EUR"}`),
      metadata: Buffer.from('{"command_id":"c","schema_version":1}'),
      created,
    };
    batch.push(event, new ProjectedLink('$ce-account', BY_CATEGORY, done, ++position, event), new ProjectedLink('$et-MoneyDeposited', BY_EVENT_TYPE, done, ++position, event));
    revisions[s]! += 1n;
  }
  writeSync(fd, encodeRecords(batch));
}
closeSync(fd);
const bytes = statSync(join(dir, LOG_FILE)).size;

const empty = await startBenchServer(['--memory']);
const baseline = empty.rssMiB();
await empty.stop();

const server = await startBenchServer(['--data', dir]);
const rss = server.rssMiB();
const cpu = server.cpuSeconds();
console.log(
  `start-up with ${fmt(total)} events and their ${fmt(2 * total)} links (${(bytes / 1024 / 1024).toFixed(0)} MiB log): ready in ${(server.readyMs / 1000).toFixed(2)} s wall, ` +
    `${cpu.toFixed(2)} s server CPU (including loading the TypeScript sources)`,
);
console.log(`RSS: ${rss.toFixed(0)} MiB (empty server ${baseline.toFixed(0)} MiB) -> ${(((rss - baseline) / total) * 1_000_000).toFixed(0)} MiB per million events`);
await server.stop();
rmSync(dir, { recursive: true, force: true });
