import { ScalarType, type DescField, type DescMethod } from '@bufbuild/protobuf';
import { FuzzRandom } from './fuzz-random.js';
import {
  WireType, fixed32Field, fixed64Field, lenField, overlongVarint, stringField, tag, varint, varintField,
} from './protobuf-wire.js';

/** Ways a request is broken. Each one, by construction, must not change the ledger. */
export const MALFORMATIONS = [
  'random-bytes', 'empty', 'truncated', 'wrong-wire-type', 'huge-string',
  'invalid-number', 'bad-string', 'unknown-fields', 'duplicate-field',
] as const;
export type Malformation = (typeof MALFORMATIONS)[number];

export interface MalformedRequest {
  readonly method: DescMethod;
  /** `/ledger.v1.AccountCommands/Deposit` */
  readonly path: string;
  readonly kind: Malformation;
  readonly bytes: Buffer;
}

/** What the fuzz run knows about the ledger it attacks. */
export interface FuzzTarget {
  /** An open account with a positive balance: commands on it are refused only for being malformed. */
  readonly accountId: string;
  readonly currency: string;
  readonly ownerId: string;
}

const isInteger = (f: DescField): boolean =>
  f.fieldKind === 'scalar' && [ScalarType.INT64, ScalarType.UINT64, ScalarType.INT32, ScalarType.UINT32].includes(f.scalar);
const isString = (f: DescField): boolean => f.fieldKind === 'scalar' && f.scalar === ScalarType.STRING;
const expectedWire = (f: DescField): number => (isInteger(f) ? WireType.VARINT : WireType.LEN);

/** Fields left out of the base request: optional pins, and the other arm of a oneof. */
const OMITTED = new Set(['expected_revision', 'min_revision', 'timestamp', 'from', 'to', 'page_token']);

/**
 * Strings that are wrong for every field they land in on the target account:
 * not uuids, not currencies; free-text fields (owner, reason) land on an
 * account that already exists and is not empty, so they are refused anyway.
 * No case variants of valid values: a lenient parser may rightly accept those.
 */
const BAD_STRINGS: readonly (string | Buffer)[] = [
  '', ' ', 'not-a-uuid', '00000000-0000-0000-0000-00000000000', '\u0000', 'DROP TABLE accounts;--',
  '../../etc/passwd', '\u202eRUE', '💸💸💸', '%s%s%n', '{"$gt":""}', 'EURO', '12',
  Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]),
];
const HUGE_SIZES = [2_000, 20_000, 63_000, 70_000, 250_000];

const AMOUNT_INVALID: readonly (bigint | Buffer)[] = [0n, -1n, -100n, -(2n ** 63n), 2n ** 64n - 1n, overlongVarint(11),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])];
const REVISION_INVALID: readonly (bigint | Buffer)[] = [2n ** 64n - 1n, 2n ** 63n, 2n ** 64n - 2n, overlongVarint(12)];
const SIZE_INVALID: readonly (bigint | Buffer)[] = [-1n, -(2n ** 31n), 2n ** 31n - 1n, 2n ** 40n, overlongVarint(11)];

export class MalformedRequests {
  private readonly random: FuzzRandom;

  constructor(private readonly target: FuzzTarget, seed: number) {
    this.random = new FuzzRandom(seed);
  }

  /** `count` requests spread evenly over `methods` and the malformations. */
  *generate(methods: readonly DescMethod[], count: number): Generator<MalformedRequest> {
    for (let i = 0; i < count; i++) {
      const method = methods[i % methods.length];
      const kind = MALFORMATIONS[Math.floor(i / methods.length) % MALFORMATIONS.length];
      if (method === undefined || kind === undefined) throw new Error('no method or malformation');
      yield { method, kind, path: `/${method.parent.typeName}/${method.name}`, bytes: this.build(method, kind) };
    }
  }

  private build(method: DescMethod, kind: Malformation): Buffer {
    const r = this.random;
    const fields = method.input.fields;
    // Cuts and wire-type swaps go to an account that does not exist, so even
    // a request that still decodes into something sensible finds nothing.
    const fresh = (): Map<number, Buffer> => this.base(fields, r.uuid());
    const onTarget = (): Map<number, Buffer> => this.base(fields, this.target.accountId);
    const join = (m: Map<number, Buffer>): Buffer => Buffer.concat([...m.entries()].sort(([a], [b]) => a - b).map(([, b]) => b));
    const anyField = (pred: (f: DescField) => boolean): DescField | undefined => {
      const matching = fields.filter(pred);
      return matching.length === 0 ? undefined : r.pick(matching);
    };

    switch (kind) {
      case 'random-bytes':
        return r.bytes(r.int(1, 300));
      case 'empty':
        return Buffer.alloc(0);
      case 'truncated': {
        const whole = join(fresh());
        return whole.subarray(0, r.int(1, Math.max(1, whole.length - 1)));
      }
      case 'wrong-wire-type': {
        const m = fresh();
        const f = anyField((x) => m.has(x.number)) ?? fields[0];
        if (f !== undefined) m.set(f.number, this.wrongWire(f));
        return join(m);
      }
      case 'huge-string': {
        const m = onTarget();
        const f = anyField(isString);
        if (f === undefined) return Buffer.concat([join(m), stringField(99, 'x'.repeat(r.pick(HUGE_SIZES)))]);
        const size = r.pick(HUGE_SIZES);
        m.set(f.number, stringField(f.number, r.next() < 0.5 ? 'x'.repeat(size) : 'ü€'.repeat(Math.ceil(size / 5))));
        return join(m);
      }
      case 'invalid-number': {
        const m = onTarget();
        const f = anyField(isInteger);
        if (f === undefined) return Buffer.concat([join(m), tag(15, WireType.VARINT), overlongVarint(11)]);
        const choices = f.name === 'amount' ? AMOUNT_INVALID : f.name.endsWith('revision') ? REVISION_INVALID : SIZE_INVALID;
        const v = r.pick(choices);
        m.set(f.number, typeof v === 'bigint' ? varintField(f.number, v) : Buffer.concat([tag(f.number, WireType.VARINT), v]));
        return join(m);
      }
      case 'bad-string': {
        const m = onTarget();
        const f = anyField(isString) ?? fields[0];
        const v = r.pick(BAD_STRINGS);
        if (f !== undefined) m.set(f.number, typeof v === 'string' ? stringField(f.number, v) : lenField(f.number, v));
        return join(m);
      }
      case 'unknown-fields': {
        const m = this.invalidAmount(onTarget(), fields);
        const extra = Array.from({ length: r.int(1, 5) }, () => {
          const n = r.int(16, 536_870_911);
          return r.next() < 0.5 ? varintField(n, BigInt(r.int(0, 2 ** 31))) : lenField(n, r.bytes(r.int(0, 40)));
        });
        return Buffer.concat([join(m), ...extra]);
      }
      case 'duplicate-field': {
        const m = this.invalidAmount(onTarget(), fields);
        // Last one wins in proto3: the repeat carries the broken value.
        const idField = fields.find((f) => f.name === 'account_id') ?? fields[0];
        const repeat = idField === undefined ? Buffer.alloc(0) : stringField(idField.number, 'not-an-account');
        return Buffer.concat([join(m), repeat]);
      }
    }
  }

  /** Commands with an amount get amount 0, so extra or repeated fields ride on a request refused anyway. */
  private invalidAmount(m: Map<number, Buffer>, fields: readonly DescField[]): Map<number, Buffer> {
    const amount = fields.find((f) => f.name === 'amount');
    if (amount !== undefined) m.set(amount.number, varintField(amount.number, 0n));
    return m;
  }

  private wrongWire(f: DescField): Buffer {
    const r = this.random;
    const options = [WireType.VARINT, WireType.I64, WireType.LEN, WireType.SGROUP, WireType.EGROUP, WireType.I32, 6, 7]
      .filter((w) => w !== expectedWire(f));
    const wire = r.pick(options);
    switch (wire) {
      case WireType.VARINT: return varintField(f.number, BigInt(r.int(0, 2 ** 31)));
      case WireType.I64: return fixed64Field(f.number, r.bytes(8));
      case WireType.LEN: return lenField(f.number, r.bytes(r.int(0, 30)));
      case WireType.I32: return fixed32Field(f.number, r.bytes(4));
      default: return Buffer.concat([tag(f.number, wire), r.bytes(r.int(0, 8))]);
    }
  }

  /** A well-formed request on `accountId` with ordinary values, one encoded field per field number. */
  private base(fields: readonly DescField[], accountId: string): Map<number, Buffer> {
    const m = new Map<number, Buffer>();
    for (const f of fields) {
      if (OMITTED.has(f.name)) continue;
      const text: Record<string, string> = {
        command_id: this.random.uuid(), account_id: accountId, owner_id: this.target.ownerId,
        currency: this.target.currency, reason: 'fuzz',
      };
      const number: Record<string, bigint> = { amount: 100n, revision: 1n, page_size: 10n };
      if (isString(f)) m.set(f.number, stringField(f.number, text[f.name] ?? 'x'));
      else if (isInteger(f)) m.set(f.number, varintField(f.number, number[f.name] ?? 1n));
      else if (f.fieldKind === 'message') m.set(f.number, lenField(f.number, varintField(1, 1_700_000_000n)));
    }
    return m;
  }
}
