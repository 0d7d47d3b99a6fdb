/**
 * A server that speaks just enough of the protocol for the esdb benchmarks
 * and does no work: BatchAppend answers every append with success at once;
 * Read streams `--events` copies of one pre-encoded event and ends. Run
 * behind the same client as the real server, it shows what
 * @eventstore/db-client itself can take on this machine (the ceiling the
 * server's figures are compared with).
 *   npx tsx bench/null-esdb-server.ts [--events 60000]   (prints its connection string)
 */
import * as grpc from '@grpc/grpc-js';
import { streamsGrpc } from '../src/esdb-server/generated.js';
import { ResponseFrames } from '../src/esdb-server/grpc-frames.js';
import { createServerFeaturesService } from '../src/esdb-server/server-features.js';
import { decodeBatchAppendReq, encodeBatchAppendSuccess, type WireBatchAppend } from '../src/esdb-server/streams/batch-append-codec.js';
import { uuidFrom } from '../src/esdb-server/streams/decode-request.js';
import { encodeReadEvent } from '../src/esdb-server/read-event-encoder.js';

const arg = process.argv.indexOf('--events');
const events = arg > 0 ? Number(process.argv[arg + 1]) : 60_000;

const sample = encodeReadEvent(
  {
    event: {
      streamId: 'account-12',
      revision: 5n,
      position: 12_345n,
      eventId: '0b0e4a2e-7c1c-4f7a-9b3a-3c8e6a9f1e22',
      type: 'MoneyDeposited',
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify({ amount: 1234, note: 'benchmark' })),
      metadata: new Uint8Array(0),
      created: 17_000_000_000_000_000n,
    },
    link: undefined,
    commitPosition: 12_345n,
  },
  { structuredIds: false, framed: false },
);

const base = streamsGrpc.StreamsService;
const server = new grpc.Server();
server.addService(
  {
    ...base,
    read: { ...base.read, responseSerialize: (v: Buffer) => v },
    batchAppend: { ...base.batchAppend, requestDeserialize: decodeBatchAppendReq, responseSerialize: (v: Buffer) => v },
  },
  {
    // Written as the real server writes (ResponseFrames), so only the server's own work differs.
    read: async (call: grpc.ServerWritableStream<unknown, Buffer>) => {
      const out = ResponseFrames.of(call);
      for (let i = 0; i < events && !call.cancelled; i++) {
        const wait = out.send(sample);
        if (wait !== undefined) await wait;
      }
      out.end();
    },
    batchAppend: (call: grpc.ServerDuplexStream<WireBatchAppend, Buffer>) => {
      const out = ResponseFrames.of(call);
      let position = 0n;
      call.on('data', (req: WireBatchAppend) => {
        if (!req.isFinal || req.options === undefined) return;
        position += BigInt(req.proposed.length);
        const stream = req.options.streamName?.toString('utf8') ?? '';
        out.send(encodeBatchAppendSuccess(uuidFrom(req.correlationId), stream, req.options.expected, BigInt(req.proposed.length - 1), position));
      });
      call.on('end', () => out.end());
    },
  },
);
const features = createServerFeaturesService(false);
server.addService(features.definition, features.implementation);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(`esdb://127.0.0.1:${port}?tls=false`);
});
process.on('SIGTERM', () => server.forceShutdown());
