import { CURRENCY_RULE, InvalidCommand, MAX_MINOR_UNITS, isCurrency, type FieldViolation } from '../domain/index.js';

// Canonical textual uuid (any version); clients send ids as strings.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Collects every problem of one request, so a client learns all bad fields
 * at once; `done()` throws InvalidCommand naming them (INVALID_ARGUMENT).
 */
export class RequestFields {
  private readonly violations: FieldViolation[] = [];

  uuid(field: string, value: string): string {
    if (value === '') this.add(field, 'is required');
    else if (!uuidPattern.test(value)) this.add(field, 'must be a uuid');
    return value.toLowerCase();
  }

  text(field: string, value: string, maxLength: number, required: boolean): string {
    if (required && value.trim() === '') this.add(field, 'is required');
    else if (value.length > maxLength) this.add(field, `must be at most ${maxLength} characters`);
    return value;
  }

  currency(field: string, value: string): string {
    if (value === '') this.add(field, 'is required');
    else if (!isCurrency(value)) this.add(field, CURRENCY_RULE);
    return value;
  }

  /** Minor units; int64 on the wire, so a value beyond int64 arrives negative. */
  amount(field: string, value: bigint): bigint {
    if (value <= 0n) this.add(field, 'must be greater than zero');
    else if (value > MAX_MINOR_UNITS) this.add(field, 'exceeds int64');
    return value;
  }

  add(field: string, description: string): void {
    this.violations.push({ field, description });
  }

  done(): void {
    if (this.violations.length > 0) throw new InvalidCommand(this.violations);
  }
}
