import { describe, expect, test } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/esdb-server/security/password-hash.js';

// The real node's format (Rfc2898PasswordHashAlgorithm: PBKDF2-HMAC-SHA1,
// 1,000 iterations, 20-byte hash, 16-byte salt). The vector below was
// computed outside Node, with Python's hashlib.pbkdf2_hmac('sha1', b'changeit',
// bytes(range(16)), 1000, 20), as a real node's `$user-admin` event would hold it.
const REAL_NODE_SALT = 'AAECAwQFBgcICQoLDA0ODw==';
const REAL_NODE_HASH = 'ESjecbuhkU3H6HH3/Q/sDBotvTI=';

describe('user password hashes', () => {
  test('given a hash and salt as a real node stores them, when the password is checked, then only the right one verifies', async () => {
    expect(await verifyPassword('changeit', REAL_NODE_HASH, REAL_NODE_SALT)).toBe(true);
    expect(await verifyPassword('changeiT', REAL_NODE_HASH, REAL_NODE_SALT)).toBe(false);
  });

  test('when a password is hashed, then it has the real format (20-byte hash, 16-byte salt) and verifies', async () => {
    const { hash, salt } = await hashPassword('s3cret');
    expect(Buffer.from(hash, 'base64')).toHaveLength(20);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(await verifyPassword('s3cret', hash, salt)).toBe(true);
    expect(await verifyPassword('s3cret!', hash, salt)).toBe(false);
  });

  test('given a 32-byte scrypt hash this server wrote before, when checked, then it still verifies', async () => {
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const hash = scryptSync('old-password', salt, 32).toString('base64');
    expect(await verifyPassword('old-password', hash, salt.toString('base64'))).toBe(true);
    expect(await verifyPassword('other', hash, salt.toString('base64'))).toBe(false);
  });
});
