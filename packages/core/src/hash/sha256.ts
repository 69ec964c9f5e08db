/**
 * SHA-256 specialised for Statsig bucketing: hash `prefix + suffix` where the prefix is a
 * per-rule constant (`specSalt.ruleSalt.`) and only the first 8 bytes of the digest are needed.
 *
 * Why hand-written rather than node:crypto or @noble/hashes: a bucketing check hashes a
 * 74-byte constant prefix plus a short unit ID. Absorbing the prefix's full 64-byte blocks once
 * (the "midstate") halves the work per check, and running the compression on plain int32
 * locals with no per-call allocation makes one check cost a few hundred nanoseconds instead of
 * the ~2.7 us of a `createHash` round trip. sha256.test.ts checks it against statsig-node's own
 * SHA-256 for arbitrary text, and against node:crypto where the two agree.
 *
 * It reproduces statsig-node 6.5.2's SHA-256 bit for bit, including three departures from
 * the standard, so every user lands in the bucket statsig-node puts them in (a deployment
 * that mixes statsig-node servers with our SDKs and /initialize must agree with itself):
 * 1. Encoding: UTF-8, except that a UTF-16 surrogate unit always joins the following unit,
 *    even when the pair is malformed (TextEncoder would emit U+FFFD).
 * 2. Stale padding: when the last block holds 56-63 message bytes, the length goes in an extra
 *    block, and statsig-node starts that block with the bytes of the last character that
 *    straddled a block boundary (zero if none did) instead of zeros. Only IDs with multi-byte
 *    characters are affected; ASCII input always hashes to the standard digest.
 * 3. The empty message is never padded: its digest is the compression of one all-zero block.
 * Statsig's newer Rust core hashes these rare inputs to the standard digest.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL_STATE = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Hash state after absorbing every complete 64-byte block of a prefix. */
export interface Sha256Prefix {
  /** The chaining value after the prefix's complete blocks. */
  readonly state: Int32Array;
  /** Bytes of the prefix that did not fill a block, packed big-endian into words. */
  readonly tailWords: Int32Array;
  /** How many bytes `tailWords` holds (0-63). */
  readonly tailLength: number;
  /** Byte length of the whole prefix, for the length padding. */
  readonly byteLength: number;
  /** statsig-node's stale padding word after the prefix (see `carry`). */
  readonly carry: number;
  /**
   * The prefix ends with a surrogate that the encoder joins with the next unit, so hashing a
   * suffix after this midstate would differ from hashing the whole text (see createBucketer).
   */
  readonly open: boolean;
}

/** The first eight digest bytes as two unsigned 32-bit words, big-endian. */
export interface Digest64 {
  hi: number;
  lo: number;
}

// Scratch state shared by every call. Evaluation is synchronous and nothing here calls out,
// so no two hashes can interleave on it. Bytes are packed straight into the message schedule
// (no byte buffer), which is most of the saving over a general-purpose implementation.
const w = new Int32Array(64);
const state = new Int32Array(8);
/** Bytes already in the current block. */
let filled = 0;
/** Bytes hashed in all, including the prefix. */
let total = 0;
/**
 * statsig-node's stale padding word: the bytes that spilled into a new block when the most
 * recently completed block ended inside a character (0 when it ended on a character boundary).
 */
let carry = 0;

function pushByte(byte: number): void {
  const index = filled >>> 2;
  const shift = 24 - ((filled & 3) << 3);
  // A word's first byte clears it, so unwritten bytes of a partial word are always zero.
  w[index] = shift === 24 ? byte << 24 : (w[index] as number) | (byte << shift);
  total++;
  if (++filled === 64) {
    compress();
    filled = 0;
    carry = 0;
  }
}

/** After a character of `length` bytes: if a block completed inside it, remember the spill. */
function noteSpill(length: number): void {
  if (filled > 0 && filled < length) carry = w[0] as number;
}

/**
 * Appends `text` in statsig-node's UTF-8 variant. Returns true when its last surrogate joined
 * a unit past the end (the text cannot be hashed apart from what follows it).
 */
function pushText(text: string): boolean {
  let i = 0;
  for (; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      // Fast path for unit IDs, which are mostly ASCII: four characters fill an aligned word.
      if ((filled & 3) === 0 && i + 3 < text.length) {
        const c1 = text.charCodeAt(i + 1);
        const c2 = text.charCodeAt(i + 2);
        const c3 = text.charCodeAt(i + 3);
        if ((c1 | c2 | c3) < 0x80) {
          w[filled >>> 2] = (code << 24) | (c1 << 16) | (c2 << 8) | c3;
          i += 3;
          total += 4;
          filled += 4;
          if (filled === 64) {
            compress();
            filled = 0;
            carry = 0;
          }
          continue;
        }
      }
      pushByte(code);
    } else if (code < 0x800) {
      pushByte(0xc0 | (code >>> 6));
      pushByte(0x80 | (code & 0x3f));
      noteSpill(2);
    } else if (code < 0xd800 || code >= 0xe000) {
      pushByte(0xe0 | (code >>> 12));
      pushByte(0x80 | ((code >>> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
      noteSpill(3);
    } else {
      // Any surrogate joins with the next unit; past the end that unit reads as 0 (NaN & 0x3ff).
      code = 0x10000 + (((code & 0x3ff) << 10) | (text.charCodeAt(++i) & 0x3ff));
      pushByte(0xf0 | (code >>> 18));
      pushByte(0x80 | ((code >>> 12) & 0x3f));
      pushByte(0x80 | ((code >>> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
      noteSpill(4);
    }
  }
  return i > text.length;
}

/** Runs the compression function over the block in w[0..15], updating `state`. */
function compress(): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15] as number;
    const y = w[i - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = ((((((w[i - 16] as number) + s0) | 0) + (w[i - 7] as number)) | 0) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (((((((h + S1) | 0) + ch) | 0) + (K[i] as number)) | 0) + (w[i] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + ((S0 + maj) | 0)) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/** Pads the message (0x80, zeros, 64-bit bit length) and runs the last block(s), as statsig-node does. */
function finish(): void {
  const messageBytes = total;
  if (messageBytes === 0) {
    // Quirk 3: no 0x80 and a zero length, so one all-zero block.
    w.fill(0, 0, 16);
    compress();
    return;
  }
  const lastBlockBytes = filled;
  const staleWord = carry;
  pushByte(0x80);
  if (filled > 56) {
    for (let i = (filled + 3) >>> 2; i < 16; i++) w[i] = 0;
    compress();
    filled = 0;
  }
  for (let i = (filled + 3) >>> 2; i < 14; i++) w[i] = 0;
  // Quirk 2: the extra length block starts with the stale spill instead of zeros.
  if (lastBlockBytes >= 56) w[0] = staleWord;
  const bitLength = messageBytes * 8;
  w[14] = Math.floor(bitLength / 0x100000000);
  w[15] = bitLength | 0;
  compress();
}

/**
 * Absorbs the complete blocks of `prefix` once, for many later {@link sha256WithPrefix} calls.
 * A prefix ending with a surrogate that joins the next unit cannot be absorbed on its own; its
 * `open` flag says so, and `createBucketer` then hashes prefix and suffix together.
 */
export function createSha256Prefix(prefix: string): Sha256Prefix {
  state.set(INITIAL_STATE);
  filled = 0;
  total = 0;
  carry = 0;
  const open = pushText(prefix);
  return {
    state: state.slice(),
    tailWords: w.slice(0, 16),
    tailLength: filled,
    byteLength: total,
    carry,
    open,
  };
}

const EMPTY_PREFIX = createSha256Prefix('');

/**
 * SHA-256 of `prefix + suffix`, returning the digest's 32 bytes into `out` when given,
 * and its first 8 bytes in `into` (hi = bytes 0-3, lo = bytes 4-7, both unsigned).
 */
export function sha256WithPrefix(
  prefix: Sha256Prefix,
  suffix: string,
  into: Digest64,
  out?: Uint8Array,
): Digest64 {
  state.set(prefix.state);
  const tailLength = prefix.tailLength;
  const tailWords = prefix.tailWords;
  for (let i = 0, n = (tailLength + 3) >>> 2; i < n; i++) w[i] = tailWords[i] as number;
  filled = tailLength;
  total = prefix.byteLength;
  carry = prefix.carry;
  pushText(suffix);
  finish();
  into.hi = (state[0] as number) >>> 0;
  into.lo = (state[1] as number) >>> 0;
  if (out) {
    for (let i = 0; i < 8; i++) {
      const word = state[i] as number;
      out[i * 4] = word >>> 24;
      out[i * 4 + 1] = word >>> 16;
      out[i * 4 + 2] = word >>> 8;
      out[i * 4 + 3] = word;
    }
  }
  return into;
}

/** The full 32-byte SHA-256 digest of `text` (statsig-node's UTF-8 variant). */
export function sha256(text: string): Uint8Array {
  const out = new Uint8Array(32);
  sha256WithPrefix(EMPTY_PREFIX, text, { hi: 0, lo: 0 }, out);
  return out;
}
