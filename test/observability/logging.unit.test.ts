import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { correlationFieldsOf, correlationIdFrom, createLogger, withCorrelation } from '../../src/observability/index.js';

const capture = (): { stream: Writable; lines: () => Record<string, unknown>[] } => {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
  return {
    stream,
    lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
};

describe('structured logs', () => {
  test('each line is JSON with level word, ISO time, service and the request ids', () => {
    const out = capture();
    const logger = createLogger({ service: 'api', level: 'info', destination: out.stream });
    withCorrelation(logger, { correlationId: 'corr-1', commandId: 'cmd-9' }).info({ type: 'Deposit' }, 'command handled');
    logger.debug('below the level');
    const [line, ...rest] = out.lines();
    expect(rest).toHaveLength(0);
    expect(line).toMatchObject({
      level: 'info', service: 'api', msg: 'command handled', correlation_id: 'corr-1', command_id: 'cmd-9', type: 'Deposit',
    });
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  test('secrets are redacted', () => {
    const out = capture();
    createLogger({ service: 'jobs', level: 'info', destination: out.stream }).info({ token: 'sixteen-chars-secret' }, 'admin call');
    expect(JSON.stringify(out.lines())).not.toContain('sixteen-chars-secret');
  });
});

describe('correlation id of an incoming call', () => {
  const fresh = (): string => 'generated';
  test.each([
    [['client-req-42'], 'client-req-42'],
    [[], 'generated'],
    [['has space'], 'generated'],
    [['x'.repeat(129)], 'generated'],
    [[Buffer.from('binary')], 'generated'],
  ])('%j gives %s', (values, expected) => {
    expect(correlationIdFrom(values, fresh)).toBe(expected);
  });
});

describe('correlation ids recorded in event metadata, as log fields', () => {
  test.each([
    [{ correlation_id: 'req-1', causation_id: 'cmd-1', schema_version: 1 }, { correlation_id: 'req-1', causation_id: 'cmd-1' }],
    [{ correlation_id: 42 }, {}],
    [null, {}],
    ['correlation_id', {}],
  ])('%j gives %j', (metadata, fields) => expect(correlationFieldsOf(metadata)).toEqual(fields));
});
