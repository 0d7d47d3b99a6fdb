/**
 * The one redaction step every log line passes (issue 13), applied to the
 * serialized line just before it is written, so it catches secrets whatever
 * field, message or library error carried them (an ioredis error held the
 * AUTH command's arguments; a driver may echo its connection string):
 *  - the password of any `scheme://user:password@` URL;
 *  - `Bearer <token>` and anything shaped like a JWT;
 *  - each configured secret value (passwords, tokens), as written, as JSON
 *    escapes it, and URL-encoded.
 */
export const REDACTED = '[redacted]';

/** Shortest configured secret replaced by value: shorter ones would blank ordinary words. */
const MIN_SECRET = 4;

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@"'<>]*):([^\s/@"'<>]+)@/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

export type SecretRedactor = (line: string) => string;

export function secretRedactor(secrets: readonly string[] = []): SecretRedactor {
  const forms = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET).flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]))]
    // Longest first, so a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line.replace(URL_PASSWORD, `$1$2:${REDACTED}@`).replace(BEARER, `$1${REDACTED}`).replace(JWT, REDACTED);
    for (const form of forms) out = out.split(form).join(REDACTED);
    return out;
  };
}
