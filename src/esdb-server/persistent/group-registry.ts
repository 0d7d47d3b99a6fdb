import type { EventLog, RecordedEvent } from '../store/types.js';
import { sourceName } from './event-source.js';
import { fromConfigEntry, toConfigEntry, type GroupDefinition } from './group-definition.js';
import { configStream, groupKey, jsonEvent } from './group-storage.js';
import { SubscriptionGroup } from './subscription-group.js';

export type ChangeResult = 'ok' | 'exists' | 'not_found';

/** The real server checks message timeouts (and time-based checkpoints) on a 1 s timer tick (PersistentSubscriptionTimerTick). */
export const TICK_MS = 1_000;

/**
 * All subscription groups of the server. Their definitions live in the
 * `$persistentSubscriptionConfig` stream (latest event = whole config), as
 * in the real server, so they come back after a restart.
 */
export class GroupRegistry {
  private readonly groups = new Map<string, SubscriptionGroup>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly log: EventLog) {}

  async start(): Promise<void> {
    this.load();
    this.unsubscribe = this.log.onCommitted((records) => this.committed(records));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  find(source: string, group: string): SubscriptionGroup | undefined {
    return this.groups.get(groupKey(source, group));
  }

  /** Groups sorted by source then group; only those of `source` when given. */
  list(source?: string): SubscriptionGroup[] {
    const all = [...this.groups.values()].filter((g) => source === undefined || sourceName(g.definition.source) === source);
    return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async create(def: GroupDefinition): Promise<ChangeResult> {
    const key = groupKey(sourceName(def.source), def.group);
    if (this.groups.has(key)) return 'exists';
    this.groups.set(key, new SubscriptionGroup(this.log, def));
    await this.saveConfig();
    return 'ok';
  }

  /** Replaces the group: its consumers are dropped, the new settings resume from the checkpoint. */
  async update(def: GroupDefinition): Promise<ChangeResult> {
    const key = groupKey(sourceName(def.source), def.group);
    const old = this.groups.get(key);
    if (!old) return 'not_found';
    // Updating a `$all` group keeps its filter: the update request carries none.
    const kept: GroupDefinition = def.source.kind === 'all' && old.definition.source.kind === 'all' ? { ...def, source: old.definition.source } : def;
    await old.shutdown('group_dropped');
    this.groups.set(key, new SubscriptionGroup(this.log, kept));
    await this.saveConfig();
    return 'ok';
  }

  async delete(source: string, group: string): Promise<ChangeResult> {
    const key = groupKey(source, group);
    const old = this.groups.get(key);
    if (!old) return 'not_found';
    this.groups.delete(key);
    await old.shutdown('group_deleted');
    await old.storage.forget();
    await this.saveConfig();
    return 'ok';
  }

  /** Drops every consumer and reloads all groups from the log (RestartSubsystem). */
  async restart(): Promise<void> {
    await this.shutdownAll();
    this.load();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.shutdownAll();
    await this.saving;
  }

  private async shutdownAll(): Promise<void> {
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map((g) => g.shutdown('group_dropped')));
  }

  private load(): void {
    const res = this.log.readStream(configStream, { direction: 'backwards', from: 'end', maxCount: 1n, resolveLinks: false });
    const last = res.kind === 'ok' ? res.events[0]?.event : undefined;
    if (!last) return;
    let config: unknown;
    try {
      config = JSON.parse(Buffer.from(last.data).toString('utf8'));
    } catch {
      return;
    }
    const entries = config && typeof config === 'object' && 'entries' in config && Array.isArray(config.entries) ? config.entries : [];
    for (const entry of entries) {
      const def = fromConfigEntry(entry);
      if (!def) continue;
      const key = groupKey(sourceName(def.source), def.group);
      if (!this.groups.has(key)) this.groups.set(key, new SubscriptionGroup(this.log, def));
    }
  }

  /** Writes the whole config; saves are chained so the last one written is the newest state. */
  private saveConfig(): Promise<void> {
    const write = async (): Promise<void> => {
      if (this.log.lastRevision(configStream) === undefined) {
        await this.log.append(`$$${configStream}`, [jsonEvent('$metadata', { $maxCount: 2 })], { kind: 'any' });
      }
      const config = {
        version: '2',
        updated: new Date().toISOString(),
        updatedBy: '$system',
        entries: [...this.groups.values()].map((g) => toConfigEntry(g.definition)),
      };
      await this.log.append(configStream, [jsonEvent('$PersistentConfig', config)], { kind: 'any' });
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }

  private committed(records: readonly RecordedEvent[]): void {
    const streams = new Set(records.map((r) => r.streamId));
    for (const g of this.groups.values()) {
      const src = g.definition.source;
      if (src.kind === 'all' || streams.has(src.streamId)) g.notifyCommitted();
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const g of this.groups.values()) g.tick(now);
  }
}
