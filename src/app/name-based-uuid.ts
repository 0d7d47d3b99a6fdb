import { hash } from 'node:crypto';
import { parse as parseUuid } from 'uuid';

/**
 * Name-based uuids (RFC 9562 version 5: SHA-1 over the namespace's 16 bytes
 * then the name as UTF-8), the same ids as uuid's v5, which stored events
 * and command ids carry. The namespace is parsed once per namespace, and the
 * name is hashed in one call of node:crypto: uuid's v5 re-parses the
 * namespace and copies the name byte by byte on every call (issue 15: ~4% of
 * the transfer process's CPU derived ids).
 */
export const nameBasedUuid = (namespace: string): ((name: string) => string) => {
  const namespaceBytes = Buffer.from(parseUuid(namespace));
  return (name) => {
    const digest = hash('sha1', Buffer.concat([namespaceBytes, Buffer.from(name, 'utf8')]), 'buffer');
    digest[6] = (digest[6]! & 0x0f) | 0x50; // version 5
    digest[8] = (digest[8]! & 0x3f) | 0x80; // RFC variant
    const hex = digest.toString('hex', 0, 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
};
