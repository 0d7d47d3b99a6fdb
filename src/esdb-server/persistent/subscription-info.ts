import { sourceName } from './event-source.js';
import { startFromText } from './group-definition.js';
import { pb } from './proto.js';
import type { SubscriptionGroup } from './subscription-group.js';

type SubscriptionInfo = InstanceType<typeof pb.SubscriptionInfo>;

/** "C:x/P:x" for `$all` groups, a revision for stream groups; empty when unknown. */
function positionText(group: SubscriptionGroup, value: bigint | undefined): string {
  if (value === undefined || value < 0n) return '';
  return group.definition.source.kind === 'all' ? `C:${value}/P:${value}` : `${value}`;
}

/** The statistics the real server reports for a group (MonitoringMessage.PersistentSubscriptionInfo). */
export function subscriptionInfo(group: SubscriptionGroup): SubscriptionInfo {
  const def = group.definition;
  const s = def.settings;
  const status = group.status();
  const { first, end } = group.storage.parkedRange();
  const info = new pb.SubscriptionInfo();
  const now = Date.now();
  let rate = 0;
  let sinceMeasurement = 0;
  for (const c of group.consumers) {
    const conn = new pb.SubscriptionInfo.ConnectionInfo();
    const perSecond = c.averageItemsPerSecond(now);
    rate += perSecond;
    sinceMeasurement += c.countSinceLastMeasurement();
    conn.setFrom(c.info.from);
    conn.setUsername(c.info.username);
    conn.setConnectionName(c.info.connectionName);
    conn.setAverageItemsPerSecond(Math.round(perSecond));
    conn.setTotalItems(`${c.totalItems}`);
    conn.setCountSinceLastMeasurement(`${c.countSinceLastMeasurement()}`);
    conn.setAvailableSlots(c.availableSlots());
    conn.setInFlightMessages(c.inFlight);
    for (const m of c.measurements()) conn.addObservedMeasurements(new pb.SubscriptionInfo.Measurement().setKey(m.key).setValue(`${m.value}`));
    info.addConnections(conn);
  }
  info.setEventSource(sourceName(def.source));
  info.setGroupName(def.group);
  info.setStatus(status.caughtUp ? 'Live' : 'Behind');
  info.setAveragePerSecond(Math.round(rate));
  info.setTotalItems(`${group.totalItems}`);
  info.setCountSinceLastMeasurement(`${sinceMeasurement}`);
  info.setLastCheckpointedEventPosition(positionText(group, group.lastCheckpoint));
  info.setLastKnownEventPosition(positionText(group, status.lastKnown));
  info.setResolveLinkTos(s.resolveLinkTos);
  info.setStartFrom(startFromText(def));
  info.setMessageTimeoutMilliseconds(s.messageTimeoutMs);
  info.setExtraStatistics(s.extraStatistics);
  info.setMaxRetryCount(s.maxRetryCount);
  info.setLiveBufferSize(s.liveBufferSize);
  info.setBufferSize(s.historyBufferSize);
  info.setReadBatchSize(s.readBatchSize);
  info.setCheckPointAfterMilliseconds(s.checkPointAfterMs);
  info.setMinCheckPointCount(s.minCheckPointCount);
  info.setMaxCheckPointCount(s.maxCheckPointCount);
  info.setReadBufferCount(status.readBuffer);
  info.setLiveBufferCount(`${status.caughtUp ? status.readBuffer : 0}`);
  info.setRetryBufferCount(status.retryBuffer);
  info.setTotalInFlightMessages(status.inFlight);
  info.setOutstandingMessagesCount(status.inFlight);
  info.setNamedConsumerStrategy(s.consumerStrategy);
  info.setMaxSubscriberCount(s.maxSubscriberCount);
  info.setParkedMessageCount(`${end - first}`);
  return info;
}
