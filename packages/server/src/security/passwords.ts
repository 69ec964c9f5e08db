import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt, a memory-hard function built into Node (no native addon to
 * build). The parameters travel with each hash, so raising them later still verifies old hashes.
 */
export interface ScryptParameters {
  /** CPU/memory cost; memory used is 128 * N * r bytes (32 MiB at the default). */
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt recommendation (N=2^15, r=8, p=1): about 50-100 ms and 32 MiB per hash here. */
export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

export const MIN_PASSWORD_LENGTH = 10;
/** scrypt reads the whole password; a bound keeps one login from costing more than another. */
export const MAX_PASSWORD_LENGTH = 256;

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt base64url>$<hash base64url>`. */
export async function hashPassword(password: string, parameters = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, parameters);
  const { N, r, p } = parameters;
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(N),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash to verify against when the account does not exist, so that an unknown email costs the
 * same time as a wrong password and response times do not tell which accounts exist.
 */
export const decoyHash = (parameters = DEFAULT_SCRYPT) =>
  hashPassword(randomBytes(16).toString('hex'), parameters);
