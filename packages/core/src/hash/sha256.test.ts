/**
 * The hand-written SHA-256 (with prefix midstate) against two independent references:
 * node:crypto for well-formed text, and statsig-node 6.5.2's own pure-JS SHA-256 for text
 * with lone surrogates (which node:crypto would encode as U+FFFD, unlike Statsig).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Hash } from 'statsig-node/dist/utils/Hashing.js';
import { describe, expect, it } from 'vitest';
import { createSha256Prefix, type Digest64, sha256, sha256WithPrefix } from './sha256.js';

function cryptoDigest(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

function statsigDigest(text: string): Uint8Array {
  const view = sha256Hash(text);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Full digest and the 8-byte head through the prefix API. */
function viaPrefix(prefix: string, suffix: string): { full: Uint8Array; head: Digest64 } {
  const full = new Uint8Array(32);
  const head = sha256WithPrefix(createSha256Prefix(prefix), suffix, { hi: -1, lo: -1 }, full);
  return { full, head: { hi: head.hi, lo: head.lo } };
}

function headOf(digest: Uint8Array): Digest64 {
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  return { hi: view.getUint32(0, false), lo: view.getUint32(4, false) };
}

const wellFormed = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
  );

/** Any UTF-16 code units, biased towards surrogates so lone ones are common. */
const utf16Unit = fc
  .oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0x20, max: 0x7e }),
  )
  .map((code) => String.fromCharCode(code));
const anyUtf16 = (maxLength: number) => fc.string({ unit: utf16Unit, maxLength });

const isSurrogate = (code: number) => code >= 0xd800 && code <= 0xdfff;

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(hex(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto for arbitrary well-formed strings (0-300 units)', () => {
    fc.assert(
      fc.property(wellFormed(300), (text) => {
        expect(hex(sha256(text))).toBe(hex(cryptoDigest(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('equals node:crypto for every ASCII length from 0 to 200 bytes', () => {
    for (let length = 0; length <= 200; length++) {
      const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(6).slice(0, length);
      expect(text).toHaveLength(length);
      expect(hex(sha256(text)), `length ${length}`).toBe(hex(cryptoDigest(text)));
    }
  });

  it('equals node:crypto when multi-byte characters straddle block and padding boundaries', () => {
    // 2-, 3- and 4-byte UTF-8 sequences starting at every offset around 55/56/63/64/119/120.
    for (const char of ['é', '€', '😀', 'ユ']) {
      for (let lead = 48; lead <= 128; lead++) {
        const text = `${'x'.repeat(lead)}${char}${char}`;
        expect(hex(sha256(text)), `${lead} x + ${char}`).toBe(hex(cryptoDigest(text)));
      }
    }
  });

  it('equals statsig-node for strings with lone surrogates (any surrogate joins the next unit)', () => {
    // Non-empty: statsig-node's SHA-256 of "" is not SHA-256 (see the empty-string test below).
    fc.assert(
      fc.property(
        anyUtf16(300).filter((text) => text.length > 0),
        (text) => {
          expect(hex(sha256(text))).toBe(hex(statsigDigest(text)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('encodes lone surrogates like statsig-node, not like TextEncoder', () => {
    for (const text of [
      '\ud800',
      '\udc00',
      'a\ud83d',
      '\ud83db',
      '\ude00\ud83d',
      '\ud83d\ud83d\ude00',
      'x\udfff',
    ]) {
      expect(hex(sha256(text)), JSON.stringify(text)).toBe(hex(statsigDigest(text)));
      // node:crypto substitutes U+FFFD, which Statsig's SDK does not: these must differ.
      expect(hex(sha256(text)), JSON.stringify(text)).not.toBe(hex(cryptoDigest(text)));
    }
  });

  it('is standard SHA-256 for the empty string, where statsig-node is not', () => {
    // statsig-node's js-sha256 port never sets the 0x80 padding byte for an empty message, so
    // its "SHA-256" of "" is the compression of an all-zero block. Bucketing never hashes ""
    // (inputs always contain "."); see bucket.test.ts for the ID-list / base64 consequences.
    expect(hex(sha256(''))).toBe(hex(cryptoDigest('')));
    expect(hex(statsigDigest(''))).toBe('da5698be17b9b46962335799779fbeca8ce5d491c0d26243bafef9ea1837a9d8');
    expect(hex(viaPrefix('', '').full)).toBe(hex(cryptoDigest('')));
  });

  it('hashes a suffix longer than 10 KB, and short inputs still hash correctly afterwards', () => {
    const long = `${'0123456789abcdef'.repeat(1000)}😀é€`; // ~16 KB
    expect(hex(sha256(long))).toBe(hex(cryptoDigest(long)));
    const unicode = 'ユーザー😀'.repeat(3000); // ~51 KB of UTF-8
    expect(hex(sha256(unicode))).toBe(hex(cryptoDigest(unicode)));
    expect(hex(viaPrefix('salt.rule.', unicode).full)).toBe(hex(cryptoDigest(`salt.rule.${unicode}`)));
    expect(hex(sha256('abc'))).toBe(hex(cryptoDigest('abc')));
  });
});

describe('sha256WithPrefix', () => {
  it('equals node:crypto of prefix + suffix for arbitrary well-formed prefixes (0-200) and suffixes (0-300)', () => {
    fc.assert(
      fc.property(wellFormed(200), wellFormed(300), (prefix, suffix) => {
        const expected = cryptoDigest(prefix + suffix);
        const { full, head } = viaPrefix(prefix, suffix);
        expect(hex(full)).toBe(hex(expected));
        expect(head).toEqual(headOf(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('returns the first 8 bytes as unsigned big-endian words, with or without the full digest', () => {
    fc.assert(
      fc.property(wellFormed(100), wellFormed(100), (prefix, suffix) => {
        const into = { hi: 0, lo: 0 };
        const returned = sha256WithPrefix(createSha256Prefix(prefix), suffix, into);
        expect(returned).toBe(into);
        expect(into.hi).toBeGreaterThanOrEqual(0);
        expect(into.lo).toBeGreaterThanOrEqual(0);
        expect(into).toEqual(headOf(cryptoDigest(prefix + suffix)));
      }),
      { numRuns: 300 },
    );
  });

  it.each([0, 1, 54, 55, 56, 57, 63, 64, 65, 118, 119, 120, 121, 127, 128, 129, 183, 184])(
    'equals node:crypto for a %i-byte message split at every position',
    (length) => {
      const text = 'The quick brown fox jumps over the lazy dog; '.repeat(5).slice(0, length);
      const expected = hex(cryptoDigest(text));
      for (let split = 0; split <= length; split++) {
        expect(hex(viaPrefix(text.slice(0, split), text.slice(split)).full), `split at ${split}`).toBe(
          expected,
        );
      }
    },
  );

  it('equals node:crypto when the prefix ends partway into a block with multi-byte characters', () => {
    for (let n = 0; n <= 70; n++) {
      const prefix = `${'é'.repeat(n)}.`; // 2n+1 bytes: every tail length, odd and even
      for (const suffix of ['', 'user-1', '😀', 'ユーザー😀', 'x'.repeat(64 - (n % 64))]) {
        expect(hex(viaPrefix(prefix, suffix).full), `n=${n} suffix=${suffix}`).toBe(
          hex(cryptoDigest(prefix + suffix)),
        );
      }
    }
  });

  it('equals statsig-node of prefix + suffix for arbitrary UTF-16 when the prefix does not end in a surrogate', () => {
    // Real prefixes end in "." (`specSalt.ruleSalt.`, `salt.`); lone surrogates may appear anywhere else.
    const prefixArb = anyUtf16(200).filter((p) => p.length === 0 || !isSurrogate(p.charCodeAt(p.length - 1)));
    fc.assert(
      fc.property(prefixArb, anyUtf16(300), (prefix, suffix) => {
        fc.pre(prefix.length + suffix.length > 0);
        expect(hex(viaPrefix(prefix, suffix).full)).toBe(hex(statsigDigest(prefix + suffix)));
      }),
      { numRuns: 500 },
    );
  });

  it('gives SHA-256(prefix + suffix) for a split at any UTF-16 index outside a surrogate pair', () => {
    // A prefix is encoded on its own, so it must not end inside a surrogate pair (documented on
    // createSha256Prefix; createBucketer handles that case, see bucket.test.ts).
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat(), (text, at) => {
        let split = at % (text.length + 1);
        const before = text.charCodeAt(split - 1);
        if (before >= 0xd800 && before < 0xdc00) split--;
        const { full } = viaPrefix(text.slice(0, split), text.slice(split));
        expect(hex(full)).toBe(hex(cryptoDigest(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('reuses one prefix for many suffixes, interleaved with other prefixes, with independent results', () => {
    const prefixes = [
      '',
      'gate_salt.rule_salt.',
      `${'p'.repeat(70)}.`,
      `${'ü'.repeat(40)}.`,
      '😀'.repeat(16),
    ];
    const prepared = prefixes.map((prefix) => ({ prefix, state: createSha256Prefix(prefix) }));
    // Whatever a prepared prefix holds, hashing suffixes must not modify it.
    const snapshots = prepared.map(({ state }) => structuredClone(state));
    const suffixes = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `ユーザー${i}😀`.repeat(i % 7) : 'z'.repeat(i),
    );
    for (const suffix of suffixes) {
      for (const { prefix, state } of prepared) {
        const out = new Uint8Array(32);
        const head = sha256WithPrefix(state, suffix, { hi: 0, lo: 0 }, out);
        const expected = cryptoDigest(prefix + suffix);
        expect(hex(out)).toBe(hex(expected));
        expect(head).toEqual(headOf(expected));
      }
    }
    prepared.forEach(({ state }, i) => {
      expect(state).toEqual(snapshots[i]);
    });
  });

  it('keeps prepared prefixes valid after a huge hash grows the shared buffer', () => {
    const prefix = createSha256Prefix('spec.rule.');
    const before = hex(cryptoDigest('spec.rule.user-1'));
    const out = new Uint8Array(32);
    sha256WithPrefix(prefix, 'user-1', { hi: 0, lo: 0 }, out);
    expect(hex(out)).toBe(before);
    const longPrefix = createSha256Prefix('L'.repeat(30_000));
    sha256WithPrefix(longPrefix, 'q'.repeat(20_000), { hi: 0, lo: 0 }, out);
    expect(hex(out)).toBe(hex(cryptoDigest(`${'L'.repeat(30_000)}${'q'.repeat(20_000)}`)));
    sha256WithPrefix(prefix, 'user-1', { hi: 0, lo: 0 }, out);
    expect(hex(out)).toBe(before);
  });
});
