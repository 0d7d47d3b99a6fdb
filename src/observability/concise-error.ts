/**
 * An error as one short log field (issue 12): its type, message and code,
 * the messages of its cause chain, and where it was thrown. pino's default
 * serializer copies every enumerable property, so a driver error brings its
 * internals along (a MongoServerSelectionError's `reason` is the whole
 * topology description, about 3 KB); none of that reaches a line here.
 */
export type ConciseError = {
  readonly type: string;
  readonly message: string;
  readonly code?: string | number;
  /** Each cause's "Type: message (code)", outermost first, joined by " <- ". */
  readonly cause?: string;
  /** The top stack frames, joined by " < ". */
  readonly at?: string;
};

const MAX_CAUSES = 5;
const FRAMES = 3;
const MAX_MESSAGE = 500;

export function conciseError(value: unknown): ConciseError | unknown {
  if (!(value instanceof Error)) return value;
  const causes: string[] = [];
  const seen = new Set<unknown>([value]);
  for (let c: unknown = value.cause; c !== undefined && c !== null && !seen.has(c) && causes.length < MAX_CAUSES; c = c instanceof Error ? c.cause : undefined) {
    seen.add(c);
    causes.push(c instanceof Error ? describe(c) : clip(String(c)));
  }
  const code = codeOf(value);
  const at = value.stack
    ?.split('\n')
    .filter((l) => l.trimStart().startsWith('at '))
    .slice(0, FRAMES)
    .map((l) => l.trim().slice(3))
    .join(' < ');
  return {
    type: value.name,
    message: clip(value.message),
    ...(code === undefined ? {} : { code }),
    ...(causes.length === 0 ? {} : { cause: causes.join(' <- ') }),
    ...(at === undefined || at === '' ? {} : { at }),
  };
}

function describe(e: Error): string {
  const code = codeOf(e);
  return `${e.name}: ${clip(e.message)}${code === undefined ? '' : ` (${code})`}`;
}

function codeOf(e: Error): string | number | undefined {
  const code: unknown = 'code' in e ? e.code : undefined;
  return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

const clip = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);
