import { describe, expect, test } from 'vitest';
import { v5 as uuidv5 } from 'uuid';
import { nameBasedUuid } from '../../src/app/name-based-uuid.js';
import { creditCommandId, refundCommandId, settleCommandId, transferEventId, transferIdFor } from '../../src/app/transfer-ids.js';

// Transfer ids, the process's command ids and the transfer streams' event ids are stored:
// a retried TransferMoney or a redelivered step is recognised only if it derives the very same ids.
describe('ids derived within a transfer', () => {
  const account = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
  const commandId = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';

  test('are the ones stored before (uuid v5 in the transfer namespace, computed by the uuid package)', () => {
    const transferId = transferIdFor(account, commandId);
    expect(transferId).toBe('a5ecbab5-695a-52ed-be75-dfa3a60a3682');
    expect(creditCommandId(transferId)).toBe('73213cef-790c-5fd3-8236-ec82b805d030');
    expect(settleCommandId(transferId)).toBe('7bec01e5-b820-5298-bace-029db78fc8f6');
    expect(refundCommandId(transferId)).toBe('83fce9d9-85aa-5efe-922d-4305e8b5b6a0');
    expect(transferEventId(transferId, 'TransferCompleted')).toBe('39db6754-1ad8-580e-a952-86ad294fa883');
    expect(transferIdFor('account-ü', 'ç€')).toBe('d4a61347-d381-5627-8648-c5f2235e51ad');
  });

  test('differ by step and by transfer', () => {
    const a = transferIdFor(account, commandId);
    const b = transferIdFor(account, 'another-command');
    const ids = new Set([a, b, creditCommandId(a), settleCommandId(a), refundCommandId(a), creditCommandId(b), transferEventId(a, 'TransferFailed')]);
    expect(ids.size).toBe(7);
  });
});

describe('nameBasedUuid', () => {
  const namespace = 'c6f0a3d4-2b7e-4c19-8e5a-91d3f7b2a604';
  const uuid = nameBasedUuid(namespace);

  test.each([
    ['empty', ''],
    ['ascii', 'transfer/a5ecbab5-695a-52ed-be75-dfa3a60a3682/credit'],
    ['non-ASCII (UTF-8 encoded)', 'ç€/ü/𝄞'],
    ['longer than a SHA-1 block', 'x'.repeat(200)],
  ])('equals uuid v5 of the same name and namespace: %s', (_, name) => {
    expect(uuid(name)).toBe(uuidv5(name, namespace));
  });

  test('one namespace gives other ids than another', () => {
    expect(nameBasedUuid('5b6f3c1e-8d2a-4e7b-9f0c-2a1d4e6b8c3f')('same name')).not.toBe(uuid('same name'));
  });
});
