import { describe, expect, test } from 'vitest';
import { v5 as uuidv5 } from 'uuid';
import { eventIdFor } from '../../src/eventstore/event-ids.js';

// Event ids are stored: a retried command is deduplicated only if it derives the very same ids.
describe('event ids derived from a command', () => {
  const namespace = '5b6f3c1e-8d2a-4e7b-9f0c-2a1d4e6b8c3f';
  const stream = 'account-1b4e28ba-2fa1-11d2-883f-0016d3cca427';
  const commandId = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';

  test('are the uuid v5 of stream/command/fingerprint/index in Ledger’s namespace, as events written before carry', () => {
    expect(eventIdFor(stream, commandId, 0)).toBe('4162a8bb-8213-5495-97c3-c3cfec9d4567');
    expect(eventIdFor(stream, commandId, 2, 'Deposit:ab12')).toBe('918ab186-dd73-5241-b6a0-befc09f1bd40');
  });

  test.each([
    ['ascii', stream, commandId, 1, undefined],
    ['with a fingerprint', stream, commandId, 0, 'Withdraw:0f3a'],
    ['non-ASCII names (UTF-8 encoded)', 'account-ü', 'ç€', 1, 'fp'],
  ])('equal uuid v5 over the name as text: %s', (_, s, c, i, fingerprint) => {
    const name = fingerprint === undefined ? `${s}/${c}/${i}` : `${s}/${c}/${fingerprint}/${i}`;
    expect(eventIdFor(s, c, i, fingerprint)).toBe(uuidv5(name, namespace));
  });

  test('differ by stream, command, fingerprint and index', () => {
    const ids = new Set([
      eventIdFor(stream, commandId, 0),
      eventIdFor(stream, commandId, 1),
      eventIdFor('account-other', commandId, 0),
      eventIdFor(stream, 'another-command', 0),
      eventIdFor(stream, commandId, 0, 'Deposit:1'),
    ]);
    expect(ids.size).toBe(5);
  });
});
