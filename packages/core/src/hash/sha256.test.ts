/**
 * The hand-written SHA-256 (with prefix midstate) against two independent references.
 *
 * The primary reference is statsig-node 6.5.2's own pure-JS SHA-256, which sha256.ts reproduces
 * bit for bit, departures from the standard included (see the header of sha256.ts): lone
 * surrogates join the next code unit, "stale padding" when the last block holds 56-63 bytes,
 * and an unpadded empty message. node:crypto is the second reference exactly where statsig-node
 * computes standard SHA-256 (`isStandardForStatsig`), and must differ everywhere else. The
 * "statsig-node quirks" block pins each departure with concrete inputs, so a future "fix"
 * towards standard SHA-256 fails loudly.
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

const isSurrogate = (code: number) => code >= 0xd800 && code <= 0xdfff;

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code < 0xdc00) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * Whether statsig-node's SHA-256 of `text` is the standard digest. It is not for "" (never
 * padded), for lone surrogates (joined with the next unit, where UTF-8 has U+FFFD), nor when
 * the last block holds 56-63 bytes and the previous block ended inside a character (the
 * length block then starts with that character's spilled bytes instead of zeros).
 */
function isStandardForStatsig(text: string): boolean {
  if (text.length === 0 || hasLoneSurrogate(text)) return false;
  const bytes = Buffer.from(text, 'utf8');
  const lastBlock = bytes.length % 64;
  if (lastBlock < 56) return true;
  // The first byte of the last block is a UTF-8 continuation byte iff a character straddled.
  return ((bytes[bytes.length - lastBlock] as number) & 0xc0) !== 0x80;
}

/** `actual` is statsig-node's digest of `text`, and node:crypto's exactly where those coincide. */
function expectReferences(actual: Uint8Array, text: string, label = JSON.stringify(text)): void {
  const digest = hex(actual);
  expect(digest, label).toBe(hex(statsigDigest(text)));
  expect(digest === hex(cryptoDigest(text)), `${label} vs node:crypto`).toBe(isStandardForStatsig(text));
}

/** UTF-16 indices where statsig-node's encoding can be split: never right after a surrogate it joins. */
function statsigSplitPoints(text: string): number[] {
  const points = [0];
  for (let i = 0; i < text.length; ) {
    i += isSurrogate(text.charCodeAt(i)) ? 2 : 1;
    if (i <= text.length) points.push(i);
  }
  return points;
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

/** Characters of every UTF-8 width, at the edges of each range. */
const WIDE_CHARS = ['é', '\u0080', '\u07ff', '長', '\u0800', '\uffff', '😀', '\u{10000}', '\u{10ffff}'];

/**
 * ASCII lead + mixed-width characters + ASCII tail: 0-360 bytes, so byte lengths cross
 * 55/56/63/64/119/120/... and characters straddle block boundaries at every offset.
 */
const aroundBoundaries = (loneSurrogates: string[]) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 130 }),
      fc.array(fc.constantFrom('a', ...WIDE_CHARS, ...loneSurrogates), { maxLength: 40 }),
      fc.integer({ min: 0, max: 70 }),
    )
    .map(([lead, chars, tail]) => `${'x'.repeat(lead)}${chars.join('')}${'y'.repeat(tail)}`);

/**
 * A character straddles the end of block 1, 2 or 3 and the last block then holds 56-63 bytes,
 * so statsig-node's stale padding applies (unless lone surrogates shift the bytes).
 */
const staleText = (loneSurrogates: string[]) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom(...WIDE_CHARS),
      fc.nat(),
      fc.integer({ min: 56, max: 63 }),
      fc.array(fc.constantFrom('a', ...WIDE_CHARS, ...loneSurrogates), { maxLength: 12 }),
    )
    .map(([blocks, char, at, lastBlock, middle]) => {
      const width = Buffer.byteLength(char);
      const spilled = 1 + (at % (width - 1)); // bytes of `char` past the block boundary
      const rest = middle.join('');
      const tail = lastBlock - spilled - Buffer.byteLength(rest); // at least 56 - 3 - 48
      return `${'x'.repeat(64 * blocks - (width - spilled))}${char}${rest}${'y'.repeat(tail)}`;
    });

const boundaryText = (withLoneSurrogates: boolean) => {
  const lone = withLoneSurrogates ? ['\ud83d', '\ude00'] : [];
  return fc.oneof(aroundBoundaries(lone), staleText(lone));
};

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors (non-empty messages)', () => {
    const vectors: [string, string][] = [
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      ],
      [
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
        'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
      ],
      ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
    ];
    for (const [text, digest] of vectors) {
      expect(hex(sha256(text)), text.slice(0, 20)).toBe(digest);
      // ASCII: statsig-node is standard here too.
      expect(hex(statsigDigest(text)), text.slice(0, 20)).toBe(digest);
    }
  });

  it('equals statsig-node for arbitrary well-formed strings (0-300 units), and node:crypto exactly where statsig-node is standard', () => {
    fc.assert(
      fc.property(wellFormed(300), (text) => {
        expectReferences(sha256(text), text);
      }),
      { numRuns: 500 },
    );
  });

  it('equals statsig-node for every ASCII length from 0 to 200 bytes, and node:crypto for every non-empty one', () => {
    for (let length = 0; length <= 200; length++) {
      const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(6).slice(0, length);
      expect(text).toHaveLength(length);
      expect(isStandardForStatsig(text)).toBe(length > 0);
      expectReferences(sha256(text), text, `length ${length}`);
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

  it('equals statsig-node when a character of each width straddles a block boundary, with the last block at every fill', () => {
    // One character starting around byte 64 or 128, then 0-72 ASCII bytes: the last block holds
    // every count from 0 to 63, with or without a straddle at the last completed block.
    let stale = 0;
    for (const char of ['é', '長', '😀']) {
      for (const lead of [...range(58, 68), ...range(122, 132)]) {
        for (let tail = 0; tail <= 72; tail++) {
          const text = `${'x'.repeat(lead)}${char}${'y'.repeat(tail)}`;
          if (!isStandardForStatsig(text)) stale++;
          expectReferences(sha256(text), text, `${lead} + ${char} + ${tail}`);
        }
      }
      // Runs of the character at every phase: many straddles, the last completed one counts.
      for (let phase = 0; phase < 4; phase++) {
        for (let count = 1; count <= 70; count++) {
          const text = `${'x'.repeat(phase)}${char.repeat(count)}`;
          if (!isStandardForStatsig(text)) stale++;
          expectReferences(sha256(text), text, `${phase} + ${count} x ${char}`);
        }
      }
    }
    // The grid must exercise stale padding, not only the standard cases.
    expect(stale).toBeGreaterThan(100);
  });

  it('equals statsig-node for text built around block boundaries, lone surrogates included', () => {
    let stale = 0;
    fc.assert(
      fc.property(boundaryText(true), (text) => {
        if (!hasLoneSurrogate(text) && !isStandardForStatsig(text)) stale++;
        expectReferences(sha256(text), text);
      }),
      { numRuns: 500 },
    );
    expect(stale).toBeGreaterThan(0);
  });

  it('equals statsig-node, not node:crypto, whenever a straddling character leaves 56-63 bytes in the last block', () => {
    fc.assert(
      fc.property(staleText([]), (text) => {
        expect(isStandardForStatsig(text), JSON.stringify(text)).toBe(false);
        expectReferences(sha256(text), text);
      }),
      { numRuns: 300 },
    );
  });

  it('equals statsig-node for strings with lone surrogates (any surrogate joins the next unit)', () => {
    fc.assert(
      fc.property(anyUtf16(300), (text) => {
        expect(hex(sha256(text))).toBe(hex(statsigDigest(text)));
      }),
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

  it('hashes a suffix longer than 10 KB, and short inputs still hash correctly afterwards', () => {
    const long = `${'0123456789abcdef'.repeat(1000)}😀é€`; // ~16 KB
    expect(hex(sha256(long))).toBe(hex(cryptoDigest(long)));
    const unicode = 'ユーザー😀'.repeat(3000); // ~51 KB of UTF-8
    expect(hex(sha256(unicode))).toBe(hex(cryptoDigest(unicode)));
    expect(hex(viaPrefix('salt.rule.', unicode).full)).toBe(hex(cryptoDigest(`salt.rule.${unicode}`)));
    expect(hex(sha256('abc'))).toBe(hex(cryptoDigest('abc')));
  });

  it('equals statsig-node for long arbitrary text (up to 4000 units, ~16 KB of UTF-8)', () => {
    fc.assert(
      fc.property(fc.oneof(wellFormed(4000), anyUtf16(4000)), (text) => {
        expectReferences(sha256(text), text, `${text.length} units`);
      }),
      { numRuns: 60 },
    );
  });
});

describe('statsig-node quirks (pinned: a "fix" to standard SHA-256 must fail here)', () => {
  const STANDARD_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const STATSIG_EMPTY = 'da5698be17b9b46962335799779fbeca8ce5d491c0d26243bafef9ea1837a9d8';

  it('hashes "" as statsig-node does (one unpadded all-zero block), not as standard SHA-256', () => {
    expect(hex(cryptoDigest(''))).toBe(STANDARD_EMPTY);
    expect(hex(statsigDigest(''))).toBe(STATSIG_EMPTY);
    expect(hex(sha256(''))).toBe(STATSIG_EMPTY);
    const { full, head } = viaPrefix('', '');
    expect(hex(full)).toBe(STATSIG_EMPTY);
    expect(head).toEqual({ hi: 0xda5698be, lo: 0x17b9b469 });
    // One byte is enough to get real padding again.
    expect(hex(sha256('a'))).toBe(hex(cryptoDigest('a')));
  });

  it('applies stale padding when a character of the text straddled the last completed block', () => {
    // 's.r.' + 60 x '長' is 184 bytes: '長' straddles byte 128, and the last block holds 56.
    const text = `s.r.${'長'.repeat(60)}`;
    expect(Buffer.byteLength(text)).toBe(184);
    expect(hex(statsigDigest(text))).toBe('a9648be2cbd06bc5d0d38cd8caff7b743aac215563486631c692b24bdb78971b');
    expect(hex(cryptoDigest(text))).toBe('9995fd9755bd411ca75f8cc98aef6ea50c325d9701287e8004378687a1505d85');
    expect(hex(sha256(text))).toBe('a9648be2cbd06bc5d0d38cd8caff7b743aac215563486631c692b24bdb78971b');
    expect(hex(viaPrefix('s.r.', '長'.repeat(60)).full)).toBe(hex(statsigDigest(text)));

    // 'us.' + 59 x 'é' is 121 bytes: 'é' straddles byte 64, and the last block holds 57.
    const two = `us.${'é'.repeat(59)}`;
    expect(Buffer.byteLength(two)).toBe(121);
    expect(hex(sha256(two))).toBe('5905b5fa8cdade993f87bee8e049474b70853df2cd7026512d3b2784dec32e04');
    expect(hex(statsigDigest(two))).toBe(hex(sha256(two)));
    expect(hex(cryptoDigest(two))).not.toBe(hex(sha256(two)));
    // One byte fewer leaves 56 bytes in the last block with no straddle at byte 64: standard.
    const standard = `u.${'é'.repeat(59)}`;
    expect(hex(sha256(standard))).toBe(hex(cryptoDigest(standard)));
  });

  it('applies stale padding when the straddling character came from the prefix', () => {
    // 63 'x' + '長' + '.': '長' spans bytes 63-65, so the prepared prefix carries its spill.
    const prefix = `${'x'.repeat(63)}長.`;
    const prepared = createSha256Prefix(prefix);
    expect(prepared.tailLength).toBe(3);
    expect(prepared.carry).not.toBe(0);
    // 67 + 55 = 122 bytes: the last block holds 58, so the spill starts the length block.
    const suffix = 'u'.repeat(55);
    const expected = '8fae855da1f9b7b8a7ffacb5a931ede6bfcc551e872eec5bd94367b7150a9813';
    expect(hex(statsigDigest(prefix + suffix))).toBe(expected);
    expect(hex(cryptoDigest(prefix + suffix))).not.toBe(expected);
    const out = new Uint8Array(32);
    const head = sha256WithPrefix(prepared, suffix, { hi: 0, lo: 0 }, out);
    expect(hex(out)).toBe(expected);
    expect(head).toEqual({ hi: 0x8fae855d, lo: 0xa1f9b7b8 });
    expect(hex(sha256(prefix + suffix))).toBe(expected);
    // Every suffix length from the same prepared prefix: stale exactly when 56-63 bytes remain.
    for (let length = 0; length <= 140; length++) {
      const text = prefix + 'u'.repeat(length);
      sha256WithPrefix(prepared, 'u'.repeat(length), { hi: 0, lo: 0 }, out);
      expectReferences(out, text, `suffix ${length}`);
      expect(isStandardForStatsig(text), `suffix ${length}`).toBe(!(length >= 53 && length <= 60));
    }
  });
});

describe('sha256WithPrefix', () => {
  it('equals statsig-node of prefix + suffix for arbitrary well-formed prefixes (0-200) and suffixes (0-300), and node:crypto where standard', () => {
    fc.assert(
      fc.property(wellFormed(200), wellFormed(300), (prefix, suffix) => {
        const { full, head } = viaPrefix(prefix, suffix);
        expectReferences(full, prefix + suffix);
        expect(head).toEqual(headOf(statsigDigest(prefix + suffix)));
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
        expect(into).toEqual(headOf(statsigDigest(prefix + suffix)));
      }),
      { numRuns: 300 },
    );
  });

  it.each([0, 1, 54, 55, 56, 57, 63, 64, 65, 118, 119, 120, 121, 127, 128, 129, 183, 184])(
    'equals statsig-node (and node:crypto unless empty) for a %i-byte ASCII message split at every position',
    (length) => {
      const text = 'The quick brown fox jumps over the lazy dog; '.repeat(5).slice(0, length);
      const expected = hex(statsigDigest(text));
      expect(expected === hex(cryptoDigest(text))).toBe(length > 0);
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
        expect(hex(viaPrefix(prefix, suffix).full)).toBe(hex(statsigDigest(prefix + suffix)));
      }),
      { numRuns: 500 },
    );
  });

  it('gives statsig-node SHA-256(prefix + suffix) for a split at any UTF-16 index outside a surrogate pair', () => {
    // A prefix is encoded on its own, so it must not end inside a surrogate pair (documented on
    // createSha256Prefix; createBucketer handles that case, see bucket.test.ts).
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat(), (text, at) => {
        let split = at % (text.length + 1);
        const before = text.charCodeAt(split - 1);
        if (before >= 0xd800 && before < 0xdc00) split--;
        const { full } = viaPrefix(text.slice(0, split), text.slice(split));
        expectReferences(full, text);
      }),
      { numRuns: 300 },
    );
  });

  it('equals statsig-node at every split statsig-node can encode separately, for boundary-crossing text', () => {
    // Splits between block-straddling characters and stale padding carried over from the prefix.
    fc.assert(
      fc.property(fc.oneof(boundaryText(false), boundaryText(true), anyUtf16(60)), (text) => {
        const expected = hex(statsigDigest(text));
        const splits = statsigSplitPoints(text);
        for (const split of splits) {
          expect(hex(viaPrefix(text.slice(0, split), text.slice(split)).full), `split at ${split}`).toBe(
            expected,
          );
        }
        // Every other split leaves a surrogate that joins a unit past the prefix: flagged `open`.
        for (let split = 0; split <= text.length; split++) {
          expect(createSha256Prefix(text.slice(0, split)).open, `open at ${split}`).toBe(
            !splits.includes(split),
          );
        }
      }),
      { numRuns: 80 },
    );
  });

  it('reuses one prefix for many suffixes, interleaved with other prefixes, with independent results', () => {
    const prefixes = [
      '',
      'gate_salt.rule_salt.',
      `${'p'.repeat(70)}.`,
      `${'ü'.repeat(40)}.`,
      '😀'.repeat(16),
      `${'x'.repeat(63)}長.`, // carries a straddled character into the suffix's blocks
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
        expectReferences(out, prefix + suffix, `${prefix} + ${suffix}`);
        expect(head).toEqual(headOf(out));
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

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
