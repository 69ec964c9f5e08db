/**
 * Bucketing and the other Statsig hashes against statsig-node 6.5.2's own functions (the primary
 * reference: we reproduce its SHA-256 bit for bit, quirks included, see sha256.ts), node:crypto
 * with BigInt arithmetic exactly where statsig-node's SHA-256 is standard, and the SDK-computed
 * vectors of protocol doc section 3.5. The "statsig-node quirks" block pins concrete buckets
 * where statsig-node departs from standard SHA-256, so a "fix" towards the standard fails.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { computeUserHash } from 'statsig-node/dist/utils/EvaluatorUtils.js';
import { djb2Hash, hashUnitIDForIDList, sha256HashBase64 } from 'statsig-node/dist/utils/Hashing.js';
import { describe, expect, it } from 'vitest';
import {
  createBucketer,
  djb2,
  hash64,
  idListEntryHash,
  PASS_PERCENTAGE_BUCKETS,
  sha256Base64,
  toBase64,
  USER_BUCKET_COUNT,
} from './bucket.js';

/** Independent u64 of the first 8 digest bytes, via node:crypto (see `isStandardForStatsig`). */
function cryptoHash64(text: string): bigint {
  return createHash('sha256').update(text, 'utf8').digest().readBigUInt64BE(0);
}

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
 * Whether statsig-node's SHA-256 of `text` is the standard digest (so node:crypto is a valid
 * second reference). It is not for "" (never padded), for lone surrogates (joined with the next
 * unit), nor when the last block holds 56-63 bytes and the previous block ended inside a
 * character (stale padding: the length block starts with that character's spilled bytes).
 */
function isStandardForStatsig(text: string): boolean {
  if (text.length === 0 || hasLoneSurrogate(text)) return false;
  const bytes = Buffer.from(text, 'utf8');
  const lastBlock = bytes.length % 64;
  if (lastBlock < 56) return true;
  // The first byte of the last block is a UTF-8 continuation byte iff a character straddled.
  return ((bytes[bytes.length - lastBlock] as number) & 0xc0) !== 0x80;
}

const utf16Unit = fc
  .oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0x20, max: 0x7e }),
  )
  .map((code) => String.fromCharCode(code));

const WIDE_CHARS = ['é', '\u07ff', '長', '\uffff', '😀', '\u{10ffff}'];

/**
 * Text around block boundaries: ASCII lead + characters of every UTF-8 width + ASCII tail
 * (0-330 bytes, crossing 55/56/63/64/119/120), or text built so that a character straddles a
 * block boundary and the last block then holds 56-63 bytes (stale padding applies).
 */
const boundaryText = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 130 }),
      fc.array(fc.constantFrom('a', ...WIDE_CHARS), { maxLength: 40 }),
      fc.integer({ min: 0, max: 40 }),
    )
    .map(([lead, chars, tail]) => `${'x'.repeat(lead)}${chars.join('')}${'y'.repeat(tail)}`),
  fc
    .tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom(...WIDE_CHARS),
      fc.nat(),
      fc.integer({ min: 56, max: 63 }),
      fc.array(fc.constantFrom('a', ...WIDE_CHARS), { maxLength: 12 }),
    )
    .map(([blocks, char, at, lastBlock, middle]) => {
      const width = Buffer.byteLength(char);
      const spilled = 1 + (at % (width - 1)); // bytes of `char` past the block boundary
      const rest = middle.join('');
      const tail = lastBlock - spilled - Buffer.byteLength(rest); // at least 56 - 3 - 48
      return `${'x'.repeat(64 * blocks - (width - spilled))}${char}${rest}${'y'.repeat(tail)}`;
    }),
);

/** Arbitrary strings, "" included: ASCII, full Unicode, raw UTF-16 with lone surrogates, block-boundary text. */
const anyString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: utf16Unit, maxLength: 80 }),
  fc.uuid(),
  boundaryText,
);
const wellFormed = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ maxLength: 120 }),
  boundaryText,
);
/** Bucketing prefixes end in "." in real use; any text before it. */
const prefixString = fc.oneof(anyString, fc.constant('')).map((text) => `${text}.`);

describe('createBucketer', () => {
  it.each([PASS_PERCENTAGE_BUCKETS, USER_BUCKET_COUNT])(
    'bucket(suffix) is hash64(prefix + suffix) mod %i for arbitrary strings (no BigInt)',
    (modulus) => {
      fc.assert(
        fc.property(prefixString, fc.oneof(anyString, fc.constant('')), (prefix, suffix) => {
          const bucketer = createBucketer(prefix, modulus);
          expect(bucketer.bucket(suffix)).toBe(Number(hash64(prefix + suffix) % BigInt(modulus)));
        }),
        { numRuns: 400 },
      );
    },
  );

  it('equals statsig-node computeUserHash with BigInt modulo for arbitrary strings and any modulus up to 10^6', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyString, wellFormed),
        fc.oneof(anyString, wellFormed),
        fc.integer({ min: 1, max: 1_000_000 }),
        (prefix, suffix, modulus) => {
          const bucket = createBucketer(prefix, modulus).bucket(suffix);
          expect(bucket).toBe(Number(computeUserHash(prefix + suffix) % BigInt(modulus)));
          expect(Number.isInteger(bucket) && bucket >= 0 && bucket < modulus).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('equals node:crypto with BigInt modulo wherever statsig-node is standard SHA-256', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        wellFormed,
        wellFormed,
        fc.integer({ min: 1, max: 1_000_000 }),
        (prefix, suffix, modulus) => {
          fc.pre(isStandardForStatsig(prefix + suffix));
          checked++;
          expect(createBucketer(prefix, modulus).bucket(suffix)).toBe(
            Number(cryptoHash64(prefix + suffix) % BigInt(modulus)),
          );
        },
      ),
      { numRuns: 400 },
    );
    expect(checked).toBeGreaterThanOrEqual(400);
  });

  it('gets the modular arithmetic right at the extremes of the 64-bit value', () => {
    // Find inputs whose high word is near 0 or 2^32-1 so (hi mod m) * (2^32 mod m) is stressed.
    const hits: string[] = [];
    for (let i = 0; hits.length < 6 && i < 200_000; i++) {
      const top = Number(cryptoHash64(`edge.${i}`) >> 56n);
      if (top === 0 || top === 255) hits.push(String(i));
    }
    expect(hits.length).toBeGreaterThan(0);
    for (const suffix of hits) {
      for (const modulus of [PASS_PERCENTAGE_BUCKETS, USER_BUCKET_COUNT, 7, 65_536, 999_983, 1_000_000]) {
        expect(createBucketer('edge.', modulus).bucket(suffix)).toBe(
          Number(cryptoHash64(`edge.${suffix}`) % BigInt(modulus)),
        );
      }
    }
  });

  it('reproduces the SDK-computed pass-percentage and user_bucket vectors (protocol doc 3.5)', () => {
    const pass = (prefix: string, unit: string) =>
      createBucketer(prefix, PASS_PERCENTAGE_BUCKETS).bucket(unit);
    expect(pass('gate_salt_1.rule_salt_1.', 'user-1')).toBe(6345);
    expect(pass('aff75c6d-f457-4959-9f71-125fdda09ef6.d04c9607-d572-43ce-a85a-8617bab0041c.', '123')).toBe(
      1972,
    );
    expect(pass('canary_gate_salt.5pct_rule.', 'alice@example.com')).toBe(421);
    expect(pass('canary_gate_salt.5pct_rule.', 'bob')).toBe(3227);
    expect(pass('exp_salt.rule_x.', '')).toBe(4814);
    expect(pass('s.r.', 'ユーザー😀')).toBe(9276);
    const slot = (prefix: string, unit: string) => createBucketer(prefix, USER_BUCKET_COUNT).bucket(unit);
    expect(slot('b2336a85-e60d-4b14-a5ee-81e1fa7f5d5c.', '123')).toBe(530);
    expect(slot('layer_salt.', 'user-1')).toBe(32);
    expect(slot('layer_salt.', 'user-2')).toBe(485);
    expect(slot('exp_salt.', 'stable-abc')).toBe(590);
  });

  it('keeps independent bucketers independent when calls interleave', () => {
    const a = createBucketer('spec_a.rule_a.', PASS_PERCENTAGE_BUCKETS);
    const b = createBucketer(`${'long_salt_'.repeat(10)}.`, USER_BUCKET_COUNT);
    for (let i = 0; i < 500; i++) {
      const unit = i % 2 ? `user-${i}` : `ユーザー${i}`;
      expect(a.bucket(unit)).toBe(Number(cryptoHash64(`spec_a.rule_a.${unit}`) % 10_000n));
      expect(b.bucket(unit)).toBe(Number(cryptoHash64(`${'long_salt_'.repeat(10)}.${unit}`) % 1_000n));
    }
  });

  it('buckets prefix + suffix when the prefix ends in a high surrogate and the suffix starts with a low one', () => {
    // Public API contract (hash of the concatenation). Unreachable from the evaluator, whose
    // prefixes end in ".", but createBucketer is exported from @switchyard/core.
    const prefix = 'salt.\ud83d';
    const suffix = '\ude00';
    expect(createBucketer(prefix, PASS_PERCENTAGE_BUCKETS).bucket(suffix)).toBe(
      Number(computeUserHash(prefix + suffix) % 10_000n),
    );
  });
});

describe('hash64', () => {
  it('equals statsig-node computeUserHash for arbitrary strings (incl. "" and lone surrogates)', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(hash64(text)).toBe(computeUserHash(text));
      }),
      { numRuns: 500 },
    );
  });

  it('equals node:crypto exactly where statsig-node is standard SHA-256', () => {
    let stale = 0;
    fc.assert(
      fc.property(fc.oneof(wellFormed, anyString), (text) => {
        const standard = isStandardForStatsig(text);
        if (!standard && !hasLoneSurrogate(text) && text !== '') stale++;
        expect(hash64(text) === cryptoHash64(text), JSON.stringify(text)).toBe(standard);
      }),
      { numRuns: 500 },
    );
    // The generator must reach stale padding, not only the standard cases.
    expect(stale).toBeGreaterThan(0);
  });

  it('reproduces the SDK-computed u64 vectors (protocol doc 3.5)', () => {
    expect(hash64('gate_salt_1.rule_salt_1.user-1')).toBe(8374205231615886345n);
    expect(hash64('canary_gate_salt.5pct_rule.alice@example.com')).toBe(14996496728012180421n);
    expect(hash64('exp_salt.rule_x.')).toBe(6034230360553514814n);
    expect(hash64('s.r.ユーザー😀')).toBe(5665622026899929276n);
    expect(hash64('layer_salt.user-2')).toBe(16315892940153878485n);
  });
});

describe('djb2', () => {
  it('equals statsig-node djb2Hash for arbitrary strings (UTF-16 code units)', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.constant(''), fc.string({ maxLength: 2000 })), (text) => {
        expect(djb2(text)).toBe(djb2Hash(text));
      }),
      { numRuns: 500 },
    );
  });

  it('reproduces the doc vectors', () => {
    expect(djb2('🚀')).toBe('1773027');
    expect(djb2('my_gate')).toBe('1508680574');
    expect(djb2('test_locale')).toBe('3848724135');
    expect(djb2('secret-test-key-123')).toBe('2272736134');
    expect(djb2('')).toBe('0');
  });
});

describe('sha256Base64 and toBase64', () => {
  it('sha256Base64 equals statsig-node sha256HashBase64 for arbitrary strings (incl. "")', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(sha256Base64(text)).toBe(sha256HashBase64(text));
      }),
      { numRuns: 400 },
    );
  });

  it('sha256Base64 equals node:crypto base64 exactly where statsig-node is standard SHA-256', () => {
    fc.assert(
      fc.property(fc.oneof(wellFormed, anyString), (text) => {
        const standard = createHash('sha256').update(text, 'utf8').digest('base64');
        expect(sha256Base64(text) === standard, JSON.stringify(text)).toBe(isStandardForStatsig(text));
      }),
      { numRuns: 300 },
    );
  });

  it('toBase64 equals Buffer base64 (with padding) for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
      { numRuns: 300 },
    );
  });

  it('reproduces the doc vectors', () => {
    expect(sha256Base64('my_gate')).toBe('/JcrCTzb/nkLqu8A4UWGKxS4nQM+DOPf6GpbcRWazl8=');
    expect(sha256Base64('secret-test-key-123')).toBe('toLqw6JpNkmtVrl9E3wMePGJLF7yPwMpMaQKfR2GLfs=');
    expect(sha256Base64('user-1')).toBe('xsKJ5J6cBbIUWGA4e3O8sY30P7CaHkpKlxPHbIi7VBs=');
  });
});

describe('idListEntryHash', () => {
  it('equals statsig-node hashUnitIDForIDList for arbitrary strings (incl. "")', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const entry = idListEntryHash(text);
        expect(entry).toBe(hashUnitIDForIDList(text));
        expect(entry).toHaveLength(8);
      }),
      { numRuns: 400 },
    );
  });

  it('equals statsig-node for non-string inputs (always "")', () => {
    const nonString = fc
      .anything({ withBigInt: true, withDate: true, withBoxedValues: true, withMap: true, withSet: true })
      .filter((value) => typeof value !== 'string');
    fc.assert(
      fc.property(nonString, (value) => {
        expect(idListEntryHash(value)).toBe(hashUnitIDForIDList(value as string));
        expect(idListEntryHash(value)).toBe('');
      }),
      { numRuns: 300 },
    );
    for (const value of [null, undefined, 123, 0, true, ['a'], { id: 'a' }, new String('user-1')]) {
      expect(idListEntryHash(value)).toBe(hashUnitIDForIDList(value as string));
    }
  });

  it('reproduces the doc vectors', () => {
    expect(idListEntryHash('user-1')).toBe('xsKJ5J6c');
    expect(idListEntryHash('123')).toBe('pmWkWSBC');
  });
});

describe('the empty string', () => {
  it('hashes "" as statsig-node does (unpadded all-zero block), not as standard SHA-256 (pinned)', () => {
    // statsig-node's port never pads an empty message, so its "SHA-256" of "" is the compression
    // of an all-zero block. Bucketing never hashes "" (inputs contain "."); an ID-list check for
    // a unit ID of "" does, and we must find the entry statsig-node's ID lists hold.
    expect(hashUnitIDForIDList('')).toBe('2laYvhe5');
    expect(idListEntryHash('')).toBe('2laYvhe5');
    expect(sha256HashBase64('')).toBe('2laYvhe5tGliM1eZd5++yozl1JHA0mJDuv756hg3qdg=');
    expect(sha256Base64('')).toBe('2laYvhe5tGliM1eZd5++yozl1JHA0mJDuv756hg3qdg=');
    expect(hash64('')).toBe(computeUserHash(''));
    expect(hash64('')).toBe(0xda5698be17b9b469n);
    expect(createBucketer('', PASS_PERCENTAGE_BUCKETS).bucket('')).toBe(
      Number(computeUserHash('') % 10_000n),
    );
    // Standard SHA-256 of "" (e3b0c442...) must not come back.
    expect(createHash('sha256').update('').digest('base64')).toBe(
      '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    );
    expect(sha256Base64('')).not.toBe(createHash('sha256').update('').digest('base64'));
    expect(idListEntryHash('')).not.toBe('47DEQpj8');
    expect(hash64('')).not.toBe(cryptoHash64(''));
    // Any non-empty input agrees.
    for (const input of ['a', ' ', '0', 'user-1']) {
      expect(hash64(input)).toBe(computeUserHash(input));
      expect(sha256Base64(input)).toBe(sha256HashBase64(input));
      expect(idListEntryHash(input)).toBe(hashUnitIDForIDList(input));
    }
  });

  it('createBucketer hashes the concatenation even when the prefix ends inside a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        (a, b) => {
          const prefix = `${a}\uD83D`;
          const suffix = `\uDE00${b}`;
          expect(createBucketer(prefix, 10_000).bucket(suffix)).toBe(
            Number(hash64(prefix + suffix) % 10_000n),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('statsig-node quirks: stale padding (pinned)', () => {
  it('buckets a user ID whose character straddled the last completed block as statsig-node does', () => {
    // 's.r.' + 60 x '長' is 184 bytes: '長' straddles byte 128 and the last block holds 56, so
    // statsig-node starts the length block with the straddling character's spilled bytes.
    const unitID = '長'.repeat(60);
    expect(computeUserHash(`s.r.${unitID}`) % 10_000n).toBe(469n);
    expect(hash64(`s.r.${unitID}`) % 10_000n).toBe(469n);
    expect(createBucketer('s.r.', PASS_PERCENTAGE_BUCKETS).bucket(unitID)).toBe(469);
    // Standard SHA-256 puts this user elsewhere.
    expect(cryptoHash64(`s.r.${unitID}`) % 10_000n).toBe(7308n);

    // 'us.' + 59 x 'é' is 121 bytes: 'é' straddles byte 64 and the last block holds 57.
    const other = 'é'.repeat(59);
    expect(computeUserHash(`us.${other}`) % 1_000n).toBe(113n);
    expect(hash64(`us.${other}`) % 1_000n).toBe(113n);
    expect(createBucketer('us.', USER_BUCKET_COUNT).bucket(other)).toBe(113);
    expect(cryptoHash64(`us.${other}`) % 1_000n).toBe(893n);

    // The other hashes of the same text follow statsig-node too.
    for (const text of [`s.r.${unitID}`, `us.${other}`]) {
      expect(sha256Base64(text)).toBe(sha256HashBase64(text));
      expect(sha256Base64(text)).not.toBe(createHash('sha256').update(text, 'utf8').digest('base64'));
      expect(idListEntryHash(text)).toBe(hashUnitIDForIDList(text));
    }
  });

  it('buckets as statsig-node when the straddling character came from the prefix', () => {
    // '😀' spans bytes 62-65 of the prefix, so createBucketer's prepared prefix carries its spill.
    const prefix = `${'gate_salt_'.repeat(6)}é😀.r.`;
    expect(Buffer.byteLength(prefix)).toBe(69);
    const stale = `user-${'9'.repeat(48)}`; // 122 bytes in all: the last block holds 58
    expect(createBucketer(prefix, PASS_PERCENTAGE_BUCKETS).bucket(stale)).toBe(8844);
    expect(computeUserHash(prefix + stale) % 10_000n).toBe(8844n);
    expect(cryptoHash64(prefix + stale) % 10_000n).toBe(1912n);
    expect(createBucketer(prefix, USER_BUCKET_COUNT).bucket(stale)).toBe(844);
    // Every suffix length: statsig-node always, node:crypto exactly when no stale padding applies.
    const bucketer = createBucketer(prefix, PASS_PERCENTAGE_BUCKETS);
    let staleCount = 0;
    for (let length = 0; length <= 140; length++) {
      const suffix = `user-${'9'.repeat(length)}`;
      const text = prefix + suffix;
      expect(bucketer.bucket(suffix), `length ${length}`).toBe(Number(computeUserHash(text) % 10_000n));
      expect(hash64(text) === cryptoHash64(text), `length ${length}`).toBe(isStandardForStatsig(text));
      if (!isStandardForStatsig(text)) staleCount++;
    }
    expect(staleCount).toBe(8); // 120-127 bytes; at 184-191 the block boundary is ASCII
  });
});
