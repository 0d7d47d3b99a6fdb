import type * as grpc from '@grpc/grpc-js';
import { encodeReadEvent } from '../read-event-encoder.js';
import { ResponseFrames } from '../grpc-frames.js';
import { allStream } from './event-source.js';
import type { GroupConsumer } from './group-consumer.js';
import type { GroupRegistry } from './group-registry.js';
import type { NackAction, SubscriptionGroup } from './subscription-group.js';
import { pb, streamName, type ReadReq, type ReadResp } from './proto.js';
import { uuidText } from './read-event.js';
import { invalidArgument, maximumSubscribersReached, subscriptionDoesNotExist, subscriptionDropped, type RpcError } from './rpc-errors.js';
import { decodeSettle, type Settle } from './settle-decoder.js';

const Action = pb.ReadReq.Nack.Action;

function nackAction(action: number): NackAction {
  switch (action) {
    case Action.PARK:
      return 'park';
    case Action.RETRY:
      return 'retry';
    case Action.SKIP:
      return 'skip';
    case Action.STOP:
      return 'stop';
    default:
      return 'unknown';
  }
}

/** What the Read call receives: acks and nacks decoded by hand (settle-decoder.ts), anything else by the generated class. */
export type ReadRequest = ReadReq | Settle;
/** What it sends: a delivery already encoded, or a generated message. */
export type ReadResponse = ReadResp | Buffer;

const isSettle = (req: ReadRequest): req is Settle => !(req instanceof pb.ReadReq);

export const decodeReadRequest = (base: (b: Buffer) => ReadReq) => (buf: Buffer): ReadRequest => decodeSettle(buf) ?? base(buf);
export const encodeReadResponse = (base: (v: ReadResp) => Buffer) => (v: ReadResponse): Buffer => (Buffer.isBuffer(v) ? v : base(v));

/**
 * The Read call: the first message names the group, then the client acks
 * and nacks while the server streams events. Ends with the status the real
 * server sends: does-not-exist, maximum-subscribers-reached or dropped.
 * Responses go through ResponseFrames: what a turn of the event loop
 * sends (typically one pump of the group) leaves as one HTTP/2 write.
 */
export function readCall(registry: GroupRegistry): grpc.handleBidiStreamingCall<ReadRequest, ReadResponse> {
  return (call) => {
    let group: SubscriptionGroup | undefined;
    let consumer: GroupConsumer | undefined;
    let ended = false;
    const writer = ResponseFrames.of(call);

    const fail = (error: RpcError): void => {
      if (ended) return;
      ended = true;
      leave();
      writer.fail(error);
    };
    const leave = (): void => {
      if (group && consumer) group.disconnect(consumer);
      consumer = undefined;
    };

    const open = (req: ReadReq): void => {
      const o = req.getOptions();
      if (!o) return fail(invalidArgument('The first message of a Read call must carry its options.'));
      const source = o.getStreamOptionCase() === pb.ReadReq.Options.StreamOptionCase.ALL ? allStream : streamName(o.getStreamIdentifier());
      const name = o.getGroupName();
      const found = registry.find(source, name);
      if (!found) return fail(subscriptionDoesNotExist(source, name));
      if (found.isFull()) return fail(maximumSubscribersReached(source, name));
      const structured = o.getUuidOption()?.getContentCase() === pb.ReadReq.Options.UUIDOption.ContentCase.STRUCTURED;
      group = found;
      const connectionName = call.metadata.get('connection-name')[0];
      consumer = found.connect(
        {
          deliver: (message) => {
            if (!ended) writer.sendFramed(encodeReadEvent(message.event, { structuredIds: structured, retryCount: message.retryCount, framed: true }));
          },
          drop: (reason) => fail(reason === 'group_deleted' ? subscriptionDoesNotExist(source, name) : subscriptionDropped(source, name)),
        },
        o.getBufferSize(),
        { from: call.getPeer(), connectionName: typeof connectionName === 'string' ? connectionName : '<unknown>', username: basicUser(call.metadata.get('authorization')[0]) },
      );
      if (!ended) writer.send(Buffer.from(new pb.ReadResp().setSubscriptionConfirmation(new pb.ReadResp.SubscriptionConfirmation().setSubscriptionId(found.key)).serializeBinary()));
    };

    const settle = (req: ReadRequest): void => {
      if (!group) return;
      if (isSettle(req)) {
        if (req.kind === 'ack') return group.ack(req.ids);
        return group.nack(req.ids, nackAction(req.action), req.reason);
      }
      const ack = req.getAck();
      if (ack) return group.ack(ack.getIdsList().flatMap((id) => uuidText(id) ?? []));
      const nack = req.getNack();
      if (nack) return group.nack(nack.getIdsList().flatMap((id) => uuidText(id) ?? []), nackAction(nack.getAction()), nack.getReason());
    };

    call.on('data', (req: ReadRequest) => {
      try {
        if (ended) return;
        if (!group) return open(isSettle(req) ? new pb.ReadReq() : req);
        settle(req);
      } catch {
        fail(invalidArgument('Malformed request.'));
      }
    });
    call.on('cancelled', () => {
      ended = true;
      leave();
    });
    call.on('close', leave);
    call.on('error', () => {
      ended = true;
      leave();
    });
  };
}

/** The user name of `authorization: Basic <base64 user:password>` (what the client sends with credentials); '' without. */
export function basicUser(header: unknown): string {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return '';
  const text = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? '' : text.slice(0, colon);
}
