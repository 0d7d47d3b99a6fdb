import { timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RebuildView, StartRebuildResult } from '../jobs/rebuild-jobs.js';
import type { ProjectionRecord } from '../readmodels/projection-registry.js';
import type { MoneyAudit } from '../domain/index.js';
import {
  AuditMoneyResponseSchema,
  HeldAccountSchema,
  ParkedEventSchema,
  ProjectionSchema,
  RebuildSchema,
  RebuildState,
  type CancelRebuildRequest,
  type GetRebuildRequest,
  type Rebuild,
  type ReplayParkedRequest,
  type StartRebuildRequest,
} from './gen/ledger/v1/admin_pb.js';

/** What the Admin service drives; the entry point wires RebuildJobs, the registry and the subscription adapter. */
export type AdminBackend = {
  /** ADMIN_TOKEN; undefined refuses every call. */
  readonly token: string | undefined;
  readonly rebuildable: readonly string[];
  readonly defaultGroup: string;
  readonly rebuilds: {
    start(projection: string): Promise<StartRebuildResult>;
    get(id: string): Promise<RebuildView | undefined>;
    cancel(id: string): Promise<RebuildView | undefined>;
    running(): Promise<Map<string, RebuildView>>;
  };
  listProjections(): Promise<ProjectionRecord[]>;
  /** Replays a group's parked events; undefined when the group does not exist. */
  replayParked(group: string): Promise<bigint | undefined>;
  /** Accounts held behind a parked event (issue 14); none when not wired. */
  heldAccounts?(): Promise<readonly HeldAccountRecord[]>;
  /** Parked messages of every Ledger subscription group, with their group and delivery attempts (issue 14); none when not wired. */
  parkedEvents?(): Promise<readonly ParkedEventRecord[]>;
  /** The money-conservation audit over the event store (issue 15); AuditMoney is UNIMPLEMENTED without it. */
  auditMoney?(): Promise<MoneyAudit & { readonly events: number }>;
  /** The repairs and upcasters this process reads events with (issue 14). */
  readonly eventDecoding?: { readonly repairs: readonly string[]; readonly upcasters: readonly string[] };
};

export type HeldAccountRecord = { readonly accountId: string; readonly revision: bigint; readonly eventId: string; readonly reason: string };
export type ParkedEventRecord = {
  readonly group: string; readonly eventId: string; readonly accountId: string | undefined; readonly stream: string; readonly revision: bigint;
  readonly reason: string; readonly attempts: number | undefined;
};

type Failure = { code: status; details: string };
const fail = (code: status, details: string): Failure => ({ code, details });
const isFailure = (v: unknown): v is Failure => typeof v === 'object' && v !== null && 'code' in v && 'details' in v;

/**
 * `authorization: Bearer <token>`, compared in constant time. Each way of
 * failing has its own answer (issue 12), so an operator knows whether to set
 * a token, fix it, or configure the server.
 */
export function authorizationFailure(metadata: Metadata, token: string | undefined): Failure | undefined {
  if (token === undefined) {
    return fail(status.FAILED_PRECONDITION, 'the Admin API is disabled: the jobs process was started without ADMIN_TOKEN');
  }
  const given = metadata.get('authorization')[0];
  if (given === undefined) return fail(status.UNAUTHENTICATED, 'no token sent: Admin calls need metadata "authorization: Bearer <ADMIN_TOKEN>"');
  const a = Buffer.from(typeof given === 'string' ? given : given.toString('latin1'));
  const b = Buffer.from(`Bearer ${token}`);
  if (a.length === b.length && timingSafeEqual(a, b)) return undefined;
  return fail(status.UNAUTHENTICATED, 'wrong token: it does not match the ADMIN_TOKEN the jobs process was started with');
}

function unary<Req, Res>(backend: AdminBackend, body: (req: Req) => Promise<Res | Failure>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const refused = authorizationFailure(call.metadata, backend.token);
    if (refused !== undefined) {
      callback(refused);
      return;
    }
    body(call.request).then(
      (res) => (isFailure(res) ? callback(res) : callback(null, res)),
      (err: unknown) => callback({ code: status.UNAVAILABLE, details: err instanceof Error ? err.message : String(err) }),
    );
  };
}

/** The Admin service implementation (proto/ledger/v1/admin.proto). */
export function adminService(backend: AdminBackend): UntypedServiceImplementation {
  return {
    listProjections: unary(backend, async () => {
      const [records, running, held, parked] = await Promise.all([
        backend.listProjections(), backend.rebuilds.running(), backend.heldAccounts?.() ?? [], backend.parkedEvents?.() ?? [],
      ]);
      return {
        heldAccounts: held.map((h) => create(HeldAccountSchema, { ...h })),
        parkedEvents: parked.map((p) => create(ParkedEventSchema, {
          group: p.group, eventId: p.eventId, accountId: p.accountId ?? '', stream: p.stream, revision: p.revision, reason: p.reason, attempts: p.attempts ?? 0,
        })),
        eventRepairs: [...(backend.eventDecoding?.repairs ?? [])],
        eventUpcasters: [...(backend.eventDecoding?.upcasters ?? [])],
        projections: records.map((p) => {
          const lag = p.lag;
          const rebuild = running.get(p.name);
          return create(ProjectionSchema, {
            name: p.name,
            activeCollection: p.activeCollection,
            status: rebuild ? 'rebuilding' : p.status,
            checkpointPosition: lag?.checkpointPosition ?? 0n,
            eventsBehind: lag?.eventsBehind ?? 0n,
            ...(lag ? { timeBehind: duration(lag.timeBehindMs) } : {}),
            eventsPerSecond: lag?.eventsPerSecond ?? 0,
            parkedCount: lag?.parkedCount ?? 0n,
            blockedAccounts: BigInt(lag?.blockedAccounts ?? 0),
            rebuildId: rebuild?.id ?? '',
          });
        }),
      };
    }),
    startRebuild: unary(backend, async (req: StartRebuildRequest) => {
      if (!backend.rebuildable.includes(req.projection)) {
        return fail(status.INVALID_ARGUMENT, `projection: must be one of ${backend.rebuildable.join(', ')}`);
      }
      const { started, rebuild } = await backend.rebuilds.start(req.projection);
      if (!started) return fail(status.ALREADY_EXISTS, `a rebuild of ${req.projection} is running: ${rebuild.id}`);
      return { rebuild: toProto(rebuild) };
    }),
    getRebuild: unary(backend, async (req: GetRebuildRequest) => {
      const view = await backend.rebuilds.get(req.id);
      return view ? { rebuild: toProto(view) } : fail(status.NOT_FOUND, `no rebuild ${req.id}`);
    }),
    cancelRebuild: unary(backend, async (req: CancelRebuildRequest) => {
      const view = await backend.rebuilds.cancel(req.id);
      if (!view) return fail(status.NOT_FOUND, `no rebuild ${req.id}`);
      if (view.state === 'completed' || view.progress?.phase === 'flipped') {
        return fail(status.FAILED_PRECONDITION, `rebuild ${req.id} already switched readers to ${view.targetCollection}`);
      }
      return { rebuild: toProto(view) };
    }),
    replayParked: unary(backend, async (req: ReplayParkedRequest) => {
      const group = req.group || backend.defaultGroup;
      const replayed = await backend.replayParked(group);
      return replayed === undefined ? fail(status.NOT_FOUND, `no subscription group ${group}`) : { replayed };
    }),
    auditMoney: unary(backend, async () => {
      if (backend.auditMoney === undefined) return fail(status.UNIMPLEMENTED, 'this Admin server was started without the money audit');
      const a = await backend.auditMoney();
      return create(AuditMoneyResponseSchema, {
        balances: a.balances,
        inFlight: a.inFlight,
        netDeposits: a.netDeposits,
        transfersInFlight: BigInt(a.transfersInFlight),
        events: BigInt(a.events),
        conserved: a.violations.length === 0,
        violations: [...a.violations],
        byCurrency: [...a.byCurrency].map(([currency, c]) => ({ currency, ...c })),
      });
    }),
  };
}

const states: Record<RebuildView['state'], RebuildState> = {
  queued: RebuildState.QUEUED,
  running: RebuildState.RUNNING,
  catching_up: RebuildState.CATCHING_UP,
  completed: RebuildState.COMPLETED,
  cancelled: RebuildState.CANCELLED,
  failed: RebuildState.FAILED,
};

function toProto(v: RebuildView): Rebuild {
  const p = v.progress;
  const position = p?.position ? BigInt(p.position.commit) : 0n;
  const head = p ? BigInt(p.headPosition) : 0n;
  const rate = p?.eventsPerSecond ?? 0;
  // Positions are bytes of log, not events: estimate from the share of the log still ahead.
  const left = p && rate > 0 && position > 0n && head > position
    ? (Number(head - position) / Number(position)) * p.eventsDone / rate
    : 0;
  return create(RebuildSchema, {
    id: v.id,
    projection: v.projection,
    state: states[v.state],
    position,
    headPosition: head,
    eventsDone: BigInt(p?.eventsDone ?? 0),
    eventsPerSecond: rate,
    estimatedTimeLeft: duration(left * 1000),
    targetCollection: v.targetCollection,
    ...(p ? { startedAt: timestampFromDate(new Date(p.startedAt)) } : {}),
    ...(v.finishedAt ? { finishedAt: timestampFromDate(new Date(v.finishedAt)) } : {}),
    error: v.error ?? '',
    heldAccounts: (p?.held ?? []).map((h) => create(HeldAccountSchema, { ...h, revision: BigInt(h.revision) })),
  });
}

const duration = (ms: number) => {
  const whole = Math.max(0, Math.round(ms));
  return create(DurationSchema, { seconds: BigInt(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 });
};
