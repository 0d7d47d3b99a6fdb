import { randomUUID } from 'node:crypto';
import { AccessDeniedError, jsonEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendEvents } from '../../src/eventstore/batch-appender.js';
import { readStreamForwards } from '../../src/eventstore/stream-reader.js';
import { startSecureFixture, type SecureFixture } from '../esdb/secure-fixture.js';

let secure: SecureFixture;
beforeAll(async () => {
  secure = await startSecureFixture();
});
afterAll(async () => {
  await secure?.close();
});

const deposit = () => jsonEvent({ type: 'MoneyDeposited', data: { amount: '1' } });

describe('the lean append and read on a secure node (TLS, users): the client connection string credentials', () => {
  test('as admin they append and read; anonymous, both are refused with AccessDeniedError as the client refuses them', async () => {
    const stream = `account-${randomUUID()}`;
    const admin = secure.clientAs('admin');
    expect((await appendEvents(admin, stream, [deposit()], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0n);
    expect((await readStreamForwards(admin, stream, 0n, 10n)).map((r) => r.event?.type)).toEqual(['MoneyDeposited']);
    const anonymous = secure.clientAs();
    const viaClient = await anonymous.appendToStream(stream, [deposit()]).catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(AccessDeniedError);
    expect(await appendEvents(anonymous, stream, [deposit()], { expectedRevision: 'any' }).catch((e: unknown) => e)).toBeInstanceOf(AccessDeniedError);
    expect(await readStreamForwards(anonymous, stream, 0n, 10n).catch((e: unknown) => e)).toBeInstanceOf(AccessDeniedError);
    // The refusal did not break admin's call.
    expect((await appendEvents(admin, stream, [deposit()], { expectedRevision: 0n })).nextExpectedRevision).toBe(1n);
  });
});
