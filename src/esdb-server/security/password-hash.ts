import { pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Salted password hashes as the real node makes them (its
 * Rfc2898PasswordHashAlgorithm: PBKDF2 with HMAC-SHA1, 1,000 iterations, a
 * 20-byte hash, a 16-byte salt, both base64 in the `$user-<login>` event's
 * `hash` and `salt`), so users copied from a real node's log keep their
 * passwords. Hashes this server wrote before it matched the real format
 * (scrypt, 32 bytes) still verify; they are told apart by their length.
 */
const PBKDF2_ITERATIONS = 1000;
const PBKDF2_BYTES = 20;
const SALT_BYTES = 16;
const LEGACY_SCRYPT_BYTES = 32;

const pbkdf2Sha1 = (password: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => pbkdf2(password, salt, PBKDF2_ITERATIONS, PBKDF2_BYTES, 'sha1', (err, key) => (err ? reject(err) : resolve(key))));

const legacyScrypt = (password: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, LEGACY_SCRYPT_BYTES, (err, key) => (err ? reject(err) : resolve(key))));

export const hashPassword = async (password: string): Promise<{ hash: string; salt: string }> => {
  const salt = randomBytes(SALT_BYTES);
  return { hash: (await pbkdf2Sha1(password, salt)).toString('base64'), salt: salt.toString('base64') };
};

export const verifyPassword = async (password: string, hash: string, salt: string): Promise<boolean> => {
  const expected = Buffer.from(hash, 'base64');
  const saltBytes = Buffer.from(salt, 'base64');
  const actual = expected.length === LEGACY_SCRYPT_BYTES ? await legacyScrypt(password, saltBytes) : await pbkdf2Sha1(password, saltBytes);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};
