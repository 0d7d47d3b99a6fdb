import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Salted password hashes (the real server uses PBKDF2; scrypt is node's
 * memory-hard equivalent). Both values are base64, stored in the user's
 * `$user-<login>` events as the real server stores its `hash` and `salt`.
 */
const KEY_BYTES = 32;

const derive = (password: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, KEY_BYTES, (err, key) => (err ? reject(err) : resolve(key))));

export const hashPassword = async (password: string): Promise<{ hash: string; salt: string }> => {
  const salt = randomBytes(16);
  return { hash: (await derive(password, salt)).toString('base64'), salt: salt.toString('base64') };
};

export const verifyPassword = async (password: string, hash: string, salt: string): Promise<boolean> => {
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};
