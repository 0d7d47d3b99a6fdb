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

describe('errors on a log line (issue 12)', () => {
  test('an error is one concise field: type, message, code, cause chain and top frames, not its properties', () => {
    const out = capture();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' });
    // A driver error that carries its whole topology, as MongoServerSelectionError does in `reason`.
    const driver = Object.assign(new Error('Server selection timed out after 30000 ms', { cause: refused }), {
      name: 'MongoServerSelectionError',
      reason: { type: 'Unknown', servers: new Map([['127.0.0.1:27017', { padding: 'x'.repeat(3000) }]]), heartbeatFrequencyMS: 10000 },
    });
    createLogger({ service: 'projector', level: 'info', destination: out.stream }).error({ err: driver }, 'read model write failed');
    const [line] = out.lines();
    expect(line?.err).toEqual({
      type: 'MongoServerSelectionError',
      message: 'Server selection timed out after 30000 ms',
      cause: 'Error: connect ECONNREFUSED 127.0.0.1:27017 (ECONNREFUSED)',
      at: expect.any(String),
    });
    expect(JSON.stringify(line).length).toBeLessThan(1000);
  });

  test('a cause chain is followed outermost first and stops at a cycle', () => {
    const out = capture();
    const inner = new Error('inner');
    const outer = new TypeError('outer', { cause: new RangeError('middle', { cause: inner }) });
    inner.cause = outer;
    createLogger({ service: 'api', level: 'info', destination: out.stream }).error({ err: outer }, 'failed');
    expect(out.lines()[0]?.err).toMatchObject({ type: 'TypeError', message: 'outer', cause: 'RangeError: middle <- Error: inner' });
  });
});
