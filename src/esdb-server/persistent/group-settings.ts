import { pb, type CreateSettings, type UpdateSettings } from './proto.js';

/** Consumer strategies the real server registers (PersistentSubscriptionConsumerStrategyRegistry). */
export const consumerStrategies = ['DispatchToSingle', 'RoundRobin', 'Pinned', 'PinnedByCorrelation'] as const;
export type ConsumerStrategyName = (typeof consumerStrategies)[number];

export function isConsumerStrategy(name: string): name is ConsumerStrategyName {
  return (consumerStrategies as readonly string[]).includes(name);
}

/** The tunables of one subscription group, as the real server keeps them in its config entries. */
export interface GroupSettings {
  readonly resolveLinkTos: boolean;
  readonly extraStatistics: boolean;
  /** 0 disables the timeout. */
  readonly messageTimeoutMs: number;
  readonly maxRetryCount: number;
  readonly liveBufferSize: number;
  readonly readBatchSize: number;
  readonly historyBufferSize: number;
  readonly checkPointAfterMs: number;
  readonly minCheckPointCount: number;
  readonly maxCheckPointCount: number;
  /** 0 means unbounded. */
  readonly maxSubscriberCount: number;
  readonly consumerStrategy: string;
}

const ticksPerMs = 10_000n;

const strategyNames: Record<number, ConsumerStrategyName> = {
  [pb.CreateReq.ConsumerStrategy.DISPATCHTOSINGLE]: 'DispatchToSingle',
  [pb.CreateReq.ConsumerStrategy.ROUNDROBIN]: 'RoundRobin',
  [pb.CreateReq.ConsumerStrategy.PINNED]: 'Pinned',
};

/**
 * Reads the settings of a Create or Update request. Newer clients send the
 * strategy as a string (`consumer_strategy`); 6.x sends the deprecated enum.
 * Timeouts arrive in milliseconds or in .NET ticks (100 ns).
 */
export function settingsFromRequest(s: CreateSettings | UpdateSettings): GroupSettings {
  const named = 'getConsumerStrategy' in s ? s.getConsumerStrategy() : '';
  const consumerStrategy = named !== '' ? named : (strategyNames[s.getNamedConsumerStrategy()] ?? `${s.getNamedConsumerStrategy()}`);
  const messageTimeoutMs =
    s.getMessageTimeoutCase() === pb.CreateReq.Settings.MessageTimeoutCase.MESSAGE_TIMEOUT_TICKS
      ? Number(BigInt(s.getMessageTimeoutTicks() || '0') / ticksPerMs)
      : s.getMessageTimeoutMs();
  const checkPointAfterMs =
    s.getCheckpointAfterCase() === pb.CreateReq.Settings.CheckpointAfterCase.CHECKPOINT_AFTER_TICKS
      ? Number(BigInt(s.getCheckpointAfterTicks() || '0') / ticksPerMs)
      : s.getCheckpointAfterMs();
  return {
    resolveLinkTos: s.getResolveLinks(),
    extraStatistics: s.getExtraStatistics(),
    messageTimeoutMs,
    maxRetryCount: s.getMaxRetryCount(),
    liveBufferSize: s.getLiveBufferSize(),
    readBatchSize: s.getReadBatchSize(),
    historyBufferSize: s.getHistoryBufferSize(),
    checkPointAfterMs,
    minCheckPointCount: s.getMinCheckpointCount(),
    maxCheckPointCount: s.getMaxCheckpointCount(),
    maxSubscriberCount: s.getMaxSubscriberCount(),
    consumerStrategy,
  };
}

/**
 * Rejections the real server (23.10) answers with "persistent subscription
 * failed", and only those: an unknown consumer strategy
 * (PersistentSubscriptionService), and a read batch size not below the
 * history buffer size (the PersistentSubscription constructor throws an
 * ArgumentOutOfRangeException, whose message the service passes on). Every
 * other value is taken as given (a min checkpoint count above the max,
 * negative counts or timeouts): the engine copes with them.
 * Returns the reason, or undefined when the settings are accepted.
 */
export function settingsProblem(s: GroupSettings): string | undefined {
  if (!isConsumerStrategy(s.consumerStrategy)) return `Consumer strategy ${s.consumerStrategy} does not exist.`;
  if (s.readBatchSize >= s.historyBufferSize) {
    return "Specified argument was out of the range of valid values. (Parameter 'ReadBatchSize may not be greater than or equal to BufferSize')";
  }
  return undefined;
}

/** Effective buffer sizes: zeros from a sparse request must not stop the group from reading. */
export function readBatch(s: GroupSettings): number {
  return Math.max(1, s.readBatchSize);
}

export function readAhead(s: GroupSettings): number {
  return Math.max(readBatch(s), s.historyBufferSize, s.liveBufferSize);
}
