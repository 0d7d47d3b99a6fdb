/**
 * A server that speaks just enough of the protocol for the esdb benchmarks
 * and does no work: BatchAppend answers every append with success at once;
 * Read streams `--events` copies of one pre-encoded event and ends; a
 * persistent subscription's Create succeeds and its Read delivers `--events`
 * copies of one pre-encoded delivery, at most the consumer's buffer size
 * unacked (as a real group does), acks only counted. Run
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
import { decodeReadRequest, encodeReadResponse, type ReadRequest, type ReadResponse } from '../src/esdb-server/persistent/read-call.js';
import { pb as persistentPb, persistentServiceDefinition } from '../src/esdb-server/persistent/proto.js';

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

const sampleDelivery = encodeReadEvent(
  {
    event: {
      streamId: 'bench-persistent',
      revision: 5n,
      position: 12_345n,
      eventId: '0b0e4a2e-7c1c-4f7a-9b3a-3c8e6a9f1e22',
      type: 'Bench',
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify({ n: 5 })),
      metadata: new Uint8Array(0),
      created: 17_000_000_000_000_000n,
    },
    link: undefined,
    commitPosition: 12_345n,
  },
  { structuredIds: false, retryCount: 0, framed: true },
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
const persistent = persistentServiceDefinition;
server.addService(
  {
    ...persistent,
    read: { ...persistent.read, requestDeserialize: decodeReadRequest(persistent.read.requestDeserialize), responseSerialize: encodeReadResponse(persistent.read.responseSerialize) },
  },
  {
    create: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<InstanceType<typeof persistentPb.CreateResp>>) => callback(null, new persistentPb.CreateResp()),
    // Deliveries go out while fewer than the consumer's buffer size are unacked: a real group's
    // in-flight limit, so the client sees the same flow of deliveries and acks as from ours.
    read: (call: grpc.ServerDuplexStream<ReadRequest, ReadResponse>) => {
      const out = ResponseFrames.of(call);
      let window = 0;
      let sent = 0;
      let unacked = 0;
      const pump = (): void => {
        while (sent < events && unacked < window) {
          out.sendFramed(sampleDelivery);
          sent++;
          unacked++;
        }
      };
      call.on('data', (req: ReadRequest) => {
        if (req instanceof persistentPb.ReadReq) {
          const options = req.getOptions();
          if (options === undefined) return;
          window = options.getBufferSize();
          out.send(Buffer.from(new persistentPb.ReadResp().setSubscriptionConfirmation(new persistentPb.ReadResp.SubscriptionConfirmation().setSubscriptionId('null')).serializeBinary()));
        } else unacked -= req.ids.length;
        pump();
      });
      call.on('end', () => out.end());
    },
  },
);
const features = createServerFeaturesService(true);
server.addService(features.definition, features.implementation);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(`esdb://127.0.0.1:${port}?tls=false`);
});
process.on('SIGTERM', () => server.forceShutdown());
