/** `authorization: Basic base64(user:password)`, as the clients send credentials. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** undefined when the header is absent; 'malformed' when it is there but not Basic user:password. */
export const parseBasicCredentials = (header: unknown): BasicCredentials | 'malformed' | undefined => {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return 'malformed';
  const text = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return 'malformed';
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
};
