import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { AccountCommands, DepositRequestSchema } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { MALFORMATIONS, MalformedRequests } from './malformed-requests.js';
import { tag, varint } from './protobuf-wire.js';

const target = { accountId: '6f1c2d3e-4a5b-4c6d-8e7f-901234567890', currency: 'EUR', ownerId: 'owner-f' };
const methods = [...AccountCommands.methods, ...AccountQueries.methods];

describe('the fuzz generator', () => {
  test('varints are protobuf varints (300 → ac 02, −1 → ten bytes)', () => {
    expect([...varint(300n)]).toEqual([0xac, 0x02]);
    expect(varint(-1n)).toHaveLength(10);
    expect([...varint(0n)]).toEqual([0]);
    // The largest field number: its tag still fits in 32 bits (no JS int overflow).
    expect([...tag(536_870_911, 2)]).toEqual([0xfa, 0xff, 0xff, 0xff, 0x0f]);
  });

  test('the same seed gives the same requests; another seed other ones', () => {
    const take = (seed: number) => [...new MalformedRequests(target, seed).generate(methods, 200)].map((r) => r.bytes.toString('hex'));
    expect(take(7)).toEqual(take(7));
    expect(take(8)).not.toEqual(take(7));
  });

  test('every RPC gets every malformation', () => {
    const seen = new Set([...new MalformedRequests(target, 1).generate(methods, methods.length * MALFORMATIONS.length)].map((r) => `${r.path} ${r.kind}`));
    expect(seen.size).toBe(methods.length * MALFORMATIONS.length);
  });

  test('an invalid-number Deposit decodes to a non-positive amount or an impossible pinned revision, or not at all', () => {
    const deposits = [...new MalformedRequests(target, 3).generate(methods, methods.length * MALFORMATIONS.length * 20)]
      .filter((r) => r.path.endsWith('/Deposit') && r.kind === 'invalid-number');
    expect(deposits.length).toBeGreaterThan(10);
    for (const r of deposits) {
      let decoded: { amount: bigint; expectedRevision?: bigint } | undefined;
      try {
        decoded = fromBinary(DepositRequestSchema, r.bytes);
      } catch {
        decoded = undefined;
      }
      if (decoded !== undefined) {
        const impossibleRevision = decoded.expectedRevision !== undefined && decoded.expectedRevision >= 2n ** 63n;
        expect(decoded.amount <= 0n || impossibleRevision).toBe(true);
      }
    }
  });
});
