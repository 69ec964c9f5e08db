import { createSha256Prefix, type Digest64, type Sha256Prefix, sha256, sha256WithPrefix } from './sha256.js';

/** Buckets for a rule's pass percentage: 0.01% resolution. */
export const PASS_PERCENTAGE_BUCKETS = 10_000;
/** Buckets for the `user_bucket` condition (experiment groups, layer slots). */
export const USER_BUCKET_COUNT = 1_000;

const TWO_POW_32 = 0x100000000;
const scratch: Digest64 = { hi: 0, lo: 0 };

/**
 * A prepared hash input prefix. `bucket(suffix)` returns
 * `u64be(sha256(prefix + suffix)[0..8]) % modulus` without BigInt: the 64-bit value is
 * hi * 2^32 + lo, and (hi mod m) * (2^32 mod m) + (lo mod m) stays far below 2^53 for m <= 10^6.
 */
export interface Bucketer {
  bucket(suffix: string): number;
}

export function createBucketer(prefix: string, modulus: number): Bucketer {
  const shiftMod = TWO_POW_32 % modulus;
  // A prefix whose last surrogate joins the next unit cannot be absorbed on its own, so it is
  // hashed whole with each suffix. Evaluator prefixes end in "." and never take this path.
  const own = createSha256Prefix(prefix);
  const whole = own.open;
  const prepared: Sha256Prefix = whole ? createSha256Prefix('') : own;
  return {
    bucket(suffix: string): number {
      const digest = sha256WithPrefix(prepared, whole ? prefix + suffix : suffix, scratch);
      return ((((digest.hi % modulus) * shiftMod) % modulus) + (digest.lo % modulus)) % modulus;
    },
  };
}

/** The first 8 bytes of SHA-256(`input`) as an unsigned big-endian 64-bit integer (Statsig's `computeUserHash`). */
export function hash64(input: string): bigint {
  const digest = sha256(input);
  let value = 0n;
  for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(digest[i] as number);
  return value;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out += BASE64_ALPHABET[b0 >>> 2];
    out += BASE64_ALPHABET[((b0 & 3) << 4) | ((b1 ?? 0) >>> 4)];
    out += b1 === undefined ? '=' : BASE64_ALPHABET[((b1 & 15) << 2) | ((b2 ?? 0) >>> 6)];
    out += b2 === undefined ? '=' : BASE64_ALPHABET[b2 & 63];
  }
  return out;
}

/**
 * base64(SHA-256(`input`)): Statsig's `sha256` name hashing for client responses, with
 * statsig-node's digest (standard except for the rare inputs described in sha256.ts, e.g. "").
 */
export function sha256Base64(input: string): string {
  return toBase64(sha256(input));
}

/**
 * The ID-list entry for a unit ID: the first 8 characters of base64(SHA-256(id)).
 * A non-string ID yields the empty string (no hash), as in statsig-node.
 */
export function idListEntryHash(unitID: unknown): string {
  if (typeof unitID !== 'string') return '';
  // 8 base64 characters are exactly the first 6 digest bytes.
  return toBase64(sha256(unitID).subarray(0, 6));
}

/**
 * djb2 over UTF-16 code units, as an unsigned 32-bit decimal string. Statsig uses it for
 * client-response keys, hashed names in client events and `hashed_sdk_key_used`.
 */
export function djb2(input: string): string {
  let hash = 0;
  for (let i = 0; i < input.length; i++) {
    hash = ((hash << 5) - hash + input.charCodeAt(i)) | 0;
  }
  return String(hash >>> 0);
}
