import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  amountAsNumberRepair, correctionsRepair, eventDecoder, InvalidEventCorrections, MalformedEvent, parseEventCorrections,
  plainEventDecoder, type EncodedEvent,
} from '../../src/domain/index.js';
import { depositUpcasters } from './deposit-upcasters.js';
import { loadConfig } from '../../src/config.js';

const stored = (type: string, data: unknown, schemaVersion?: number): EncodedEvent => ({
  eventId: randomUUID(), streamId: `account-${randomUUID()}`, revision: 1n, type, data,
  metadata: schemaVersion === undefined ? undefined : { schema_version: schemaVersion },
});

describe('upcasters', () => {
  test('given a version-1 event, when read, then every step of its chain runs in order', () => {
    const decoder = eventDecoder({ upcasters: depositUpcasters });
    expect(decoder.decode(stored('MoneyDeposited', { cents: 1500 }, 1))).toEqual({ type: 'MoneyDeposited', data: { amount: 1500n } });
    expect(decoder.decode(stored('MoneyDeposited', { amount_minor: 20 }, 2))).toEqual({ type: 'MoneyDeposited', data: { amount: 20n } });
    expect(decoder.decode(stored('MoneyDeposited', { amount: '5' }, 3))).toEqual({ type: 'MoneyDeposited', data: { amount: 5n } });
    expect(decoder.upcasters).toEqual(['MoneyDeposited v1->v2', 'MoneyDeposited v2->v3']);
  });

  test('given no schema_version (a foreign writer), when read, then it counts as version 1', () => {
    expect(eventDecoder({ upcasters: depositUpcasters }).decode(stored('MoneyDeposited', { cents: 7 }))).toEqual({ type: 'MoneyDeposited', data: { amount: 7n } });
  });

  test('given a version-1 event and no upcaster, when read, then validation refuses it', () => {
    expect(() => plainEventDecoder.decode(stored('MoneyDeposited', { cents: 1500 }, 1))).toThrow(MalformedEvent);
  });
});

describe('repairs', () => {
  test('given an amount written as a number, when read with amount-as-number, then it decodes; without it, it is malformed', () => {
    const bad = stored('MoneyDeposited', { amount: 2500 }, 1);
    expect(() => plainEventDecoder.decode(bad)).toThrow(MalformedEvent);
    expect(eventDecoder({ repairs: [amountAsNumberRepair] }).decode(bad)).toEqual({ type: 'MoneyDeposited', data: { amount: 2500n } });
  });

  test('given a correction by event id, when read, then only that event takes the corrected data', () => {
    const bad = stored('MoneyDeposited', { amount: 'abc' }, 1);
    const other = stored('MoneyDeposited', { amount: 'abc' }, 1);
    const decoder = eventDecoder({ repairs: [correctionsRepair('file:x', [{ eventId: bad.eventId, data: { amount: '250' } }])] });
    expect(decoder.decode(bad)).toEqual({ type: 'MoneyDeposited', data: { amount: 250n } });
    expect(() => decoder.decode(other)).toThrow(MalformedEvent);
    expect(decoder.repairs).toEqual(['file:x']);
  });

  test('given an ignore correction, when read, then the event reads as one the domain does not know', () => {
    const bad = stored('MoneyDeposited', { amount: 'abc' }, 1);
    expect(eventDecoder({ repairs: [correctionsRepair('f', [{ eventId: bad.eventId, ignore: true }])] }).decode(bad)).toBeUndefined();
  });

  test('given repairs after an upcaster, when read, then the repair sees the upcast data', () => {
    const decoder = eventDecoder({
      upcasters: [{ eventType: 'MoneyDeposited', fromVersion: 1, upcast: (d) => ({ amount: (d as { cents: unknown }).cents }) }],
      repairs: [amountAsNumberRepair],
    });
    expect(decoder.decode(stored('MoneyDeposited', { cents: 40 }, 1))).toEqual({ type: 'MoneyDeposited', data: { amount: 40n } });
  });
});

describe('the repairs file and setting', () => {
  test('a file of corrections parses; a bad one names what is wrong', () => {
    const id = randomUUID();
    expect(parseEventCorrections(JSON.stringify([{ event_id: id, data: { amount: '1' }, note: 't-1' }]))).toEqual([{ eventId: id, data: { amount: '1' }, note: 't-1' }]);
    expect(() => parseEventCorrections('{')).toThrow(InvalidEventCorrections);
    expect(() => parseEventCorrections(JSON.stringify([{ event_id: 'x', data: {} }]))).toThrow(/event_id/);
    expect(() => parseEventCorrections(JSON.stringify([{ event_id: id, ignore: true }, { event_id: id, ignore: true }]))).toThrow(/twice/);
  });

  test('EVENT_REPAIRS takes shipped repairs by name and refuses unknown ones at start', () => {
    expect(loadConfig({ EVENT_REPAIRS: 'amount-as-number' }).EVENT_REPAIRS).toEqual(['amount-as-number']);
    expect(loadConfig({}).EVENT_REPAIRS).toEqual([]);
    expect(() => loadConfig({ EVENT_REPAIRS: 'amount-as-number,typo' })).toThrow(/EVENT_REPAIRS: unknown repair typo/);
    expect(() => loadConfig({ EVENT_REPAIRS_FILE: '/nonexistent/repairs.json' })).toThrow(/EVENT_REPAIRS_FILE: file not found/);
  });
});
