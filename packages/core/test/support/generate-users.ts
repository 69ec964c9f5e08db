/**
 * Seeded users for the differential test: every shape a real server sees, and the odd ones
 * the SDK must cope with (unicode and lone surrogates in IDs, numeric IDs, mistyped attributes,
 * case variations in customID keys, environments that are not objects, over-long user agents).
 *
 * Every user is *identifiable* in statsig-node's sense (a string or number `userID`, or a
 * non-empty `customIDs` object). statsig-node refuses other users before evaluating (it
 * throws inside its error boundary and returns defaults), so comparing them would compare
 * nothing. `isIdentifiable` checks this and the test asserts it for every user.
 */
import type { StatsigUser } from '@switchyard/core';
import {
  APP_VERSIONS,
  COMPANIES,
  COUNTRIES,
  EMAIL_DOMAINS,
  EMAIL_NAMES,
  IPS,
  LOCALES,
  PLANS,
  signupDate,
  TAGS,
  USER_AGENTS,
  USER_ENVIRONMENTS,
} from './pools.js';
import { Rng } from './prng.js';

/** statsig-node's `isUserIdentifiable` (utils/core.ts). */
export function isIdentifiable(user: StatsigUser): boolean {
  const { userID, customIDs } = user;
  return (
    typeof userID === 'string' ||
    typeof userID === 'number' ||
    (customIDs != null && typeof customIDs === 'object' && Object.keys(customIDs).length > 0)
  );
}

const JAPANESE = ['ユーザー', '山田太郎', 'テスト', 'ｶﾀｶﾅ', '日本語'];
const EMOJI = ['😀', '🚀', '👩‍👩‍👧', '🇯🇵', '❤️', '🧑🏽‍💻'];
const COMBINING = ['e\u0301', 'a\u0308\u0304', 'n\u0303', 'Z\u0351\u0361\u0334'];
const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D'];

/** A string of random code units, surrogates included: the shape fuzzers find bugs with. */
function randomUnits(rng: Rng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const range = rng.weighted<[number, number]>([
      [4, [0x20, 0x7e]],
      [2, [0xa0, 0x7ff]],
      [2, [0x3040, 0x30ff]],
      [1, [0xd800, 0xdfff]],
      [1, [0xe000, 0xfffd]],
    ]);
    text += String.fromCharCode(rng.between(range[0], range[1]));
  }
  if (rng.chance(0.3)) text += String.fromCodePoint(rng.between(0x1f300, 0x1faff));
  return text;
}

function userID(rng: Rng, index: number): unknown {
  return rng.weighted<() => unknown>([
    [40, () => `user-${index}`],
    [6, () => String(index)],
    [4, () => index],
    [1, () => rng.pick([0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER])],
    [5, () => `${rng.pick(JAPANESE)}${index}`],
    [4, () => `${rng.pick(EMOJI)}${index}${rng.pick(EMOJI)}`],
    [3, () => `${rng.pick(COMBINING)}${index}`],
    [
      3,
      () =>
        rng.chance(0.5) ? `${rng.pick(LONE_SURROGATES)}${index}` : `${index}${rng.pick(LONE_SURROGATES)}`,
    ],
    [3, () => randomUnits(rng, rng.between(1, 12))],
    [2, () => ''],
    // Long IDs: salt + ID crosses SHA-256's 56- and 64-byte boundaries at every offset, with
    // multi-byte characters straddling them (pools.ts puts some of these IDs in an ID list).
    [2, () => `${'long-'.repeat(1 + (index % 30))}${index}`],
    [1, () => `${'長い'.repeat(5 + (index % 36))}${index}`],
    [1, () => ` user-${index} `],
    [1, () => `USER-${index}`],
    // No userID: the user is identified by customIDs only (added below).
    [8, () => undefined],
  ])();
}

function email(rng: Rng, index: number): unknown {
  return rng.weighted<() => unknown>([
    [30, () => `${rng.pick(EMAIL_NAMES)}${index % 40}@${rng.pick(EMAIL_DOMAINS)}`],
    [2, () => ''],
    [2, () => null],
    [1, () => index],
    [1, () => true],
    [1, () => [`${rng.pick(EMAIL_NAMES)}@example.com`]],
    [1, () => ({ address: 'a@example.com' })],
    [8, () => undefined],
  ])();
}

function stableID(rng: Rng): unknown {
  return rng.weighted<() => unknown>([
    [10, () => `stable-${rng.int(1000)}`],
    [2, () => `${rng.pick(EMOJI)}-${rng.int(100)}`],
    [1, () => rng.pick(LONE_SURROGATES)],
    [1, () => ''],
    [1, () => rng.int(1000)],
    [1, () => null],
  ])();
}

/** customIDs with companyID/stableID under varying key spellings, and odd value types. */
function customIDs(rng: Rng): Record<string, unknown> | undefined {
  if (rng.chance(0.2)) return undefined;
  const ids: Record<string, unknown> = {};
  if (rng.chance(0.6)) {
    const key = rng.weighted([
      [8, 'companyID'],
      [2, 'CompanyID'],
      [1, 'companyid'],
      [1, 'COMPANYID'],
    ]);
    ids[key] = rng.pick(COMPANIES);
    // Two spellings of one key: the exact one wins, otherwise the first in key order.
    if (rng.chance(0.05)) ids[rng.pick(['COMPANYID', 'companyId'])] = rng.pick(COMPANIES);
  }
  if (rng.chance(0.6)) {
    const key = rng.weighted([
      [8, 'stableID'],
      [1, 'StableID'],
      [1, 'stableid'],
    ]);
    ids[key] = stableID(rng);
  }
  if (rng.chance(0.1)) ids.orgID = `org-${rng.int(50)}`;
  return ids;
}

function tags(rng: Rng): unknown {
  return rng.weighted<() => unknown>([
    [10, () => rng.sample(TAGS, rng.between(0, 4))],
    [1, () => 'a,b'],
    [1, () => 2],
    [1, () => null],
    [1, () => [['a'], { b: 1 }]],
  ])();
}

function custom(rng: Rng, index: number): Record<string, unknown> | null | undefined {
  if (rng.chance(0.1)) return rng.chance(0.5) ? null : undefined;
  const fields: Record<string, unknown> = {};
  if (rng.chance(0.8)) {
    fields.level = rng.weighted<() => unknown>([
      [10, () => rng.int(11)],
      [3, () => String(rng.int(11))],
      [1, () => rng.chance(0.5)],
      [1, () => null],
      [1, () => [5]],
      [1, () => '5.0'],
      [1, () => 'high'],
    ])();
  }
  if (rng.chance(0.7)) fields.plan = rng.pick(PLANS);
  if (rng.chance(0.7)) fields.tags = tags(rng);
  if (rng.chance(0.7)) fields.signupDate = signupDate(rng.int(9), rng.between(-800, 30));
  if (rng.chance(0.5)) fields.score = Math.round(rng.next() * 10000) / 100;
  if (rng.chance(0.4)) fields.isEmployee = rng.pick([true, false, 'true', 1, null]);
  if (rng.chance(0.3)) fields.age = rng.pick([rng.between(13, 90), `${rng.between(13, 90)}`, 'unknown']);
  // Lookup falls back to custom when the top-level field is null or missing.
  if (rng.chance(0.1)) fields.email = `${rng.pick(EMAIL_NAMES)}${index % 40}@corp.io`;
  if (rng.chance(0.1)) fields.country = rng.pick(['JP', 'de']);
  // A key already lower case matches a mixed-case condition field (`Plan` reads `plan`).
  if (rng.chance(0.05)) fields.Plan = 'pro';
  return fields;
}

/**
 * `count` users from `seed`, indices 0..count-1 embedded in IDs so they stay unique.
 * @example generateUsers(20240615, 10_000)
 */
export function generateUsers(seed: number, count: number): StatsigUser[] {
  const rng = new Rng(seed);
  const users: StatsigUser[] = [];
  for (let index = 0; index < count; index++) {
    const user: StatsigUser = {};
    const id = userID(rng, index);
    if (id !== undefined) user.userID = id as string | number;
    else if (rng.chance(0.25)) user.userID = null;
    const mail = email(rng, index);
    if (mail !== undefined) user.email = mail as string;
    if (rng.chance(0.75)) user.ip = rng.pick(IPS) as string;
    if (rng.chance(0.8)) user.userAgent = rng.pick(USER_AGENTS);
    if (rng.chance(0.6)) user.country = rng.pick(COUNTRIES) as string;
    if (rng.chance(0.5)) user.locale = rng.pick(LOCALES);
    if (rng.chance(0.7)) user.appVersion = rng.pick(APP_VERSIONS) as string;
    const attributes = custom(rng, index);
    if (attributes !== undefined) user.custom = attributes;
    if (rng.chance(0.15)) {
      user.privateAttributes = {
        email: rng.chance(0.5) ? `${rng.pick(EMAIL_NAMES)}@statsig.com` : null,
        level: rng.int(11),
        secret: 'shh',
      };
    }
    const ids = customIDs(rng);
    if (ids !== undefined) user.customIDs = ids;
    if (rng.chance(0.5)) user.statsigEnvironment = rng.pick(USER_ENVIRONMENTS) as Record<string, unknown>;
    // Top-level keys in other cases: `COUNTRY` is found for field `COUNTRY` but not for `country`.
    if (rng.chance(0.03)) user.COUNTRY = 'JP';
    if (rng.chance(0.03)) user.userid = `alias-${index}`;
    // Keep every user identifiable (see the module comment): a user without a userID gets a
    // customID, and an empty customIDs object gets one too.
    if (!isIdentifiable(user)) {
      user.customIDs = { ...(user.customIDs ?? {}), stableID: `stable-${rng.int(1000)}` };
    }
    users.push(user);
  }
  return users;
}

/** Hand-written users for the boundaries the random ones may miss. All identifiable. */
export const EDGE_USERS: readonly StatsigUser[] = [
  { userID: '' },
  { userID: 0 },
  { userID: 42 },
  { userID: '42' },
  { userID: 'user-0', email: 'alice0@example.com', country: 'US', appVersion: '2.0.0' },
  { userID: 'ユーザー7', country: 'JP', ip: '133.242.0.3' },
  { userID: '😀12🚀', custom: { tags: ['a', 'b', 'c'] } },
  { userID: '\uD800lone' },
  { userID: 'lone\uDFFF' },
  { userID: '\uD83D' },
  { userID: 'e\u0301' },
  { userID: '\u00e9' },
  { customIDs: { companyID: 'acme' } },
  { customIDs: { CompanyID: 'initech', StableID: 'stable-0' } },
  { customIDs: { companyid: 'globex', COMPANYID: 'acme' } },
  { customIDs: { stableID: '' } },
  { customIDs: { stableID: null } },
  { customIDs: { companyID: undefined, CompanyID: 'acme' } },
  // userIDs of other types, identifiable through customIDs: hashed as String(userID).
  { userID: true as unknown as string, customIDs: { stableID: 'stable-1' } },
  { userID: ['a', 'b'] as unknown as string, customIDs: { companyID: 'acme' } },
  { userID: { id: 1 } as unknown as string, customIDs: { stableID: 'stable-2' } },
  {
    userID: 'ua-fields',
    custom: { os_name: 'iOS', browser_version: '1.0' },
    userAgent: USER_AGENTS[0] as string,
  },
  { customIDs: { stableID: 'stable-4' }, email: null, custom: { email: 'bob0@example.com' } },
  { userID: 'no-attrs', custom: null, privateAttributes: null, customIDs: null },
  { userID: 'priv', privateAttributes: { email: 'carol@statsig.com', plan: 'pro' } },
  { userID: 'case', Email: 'x@example.com', COUNTRY: 'JP', custom: { Plan: 'pro', PLAN: 'free' } },
  { userID: 'env-str', statsigEnvironment: 'staging' as unknown as Record<string, unknown> },
  { userID: 'env-case', statsigEnvironment: { TiEr: 'Staging' } },
  { userID: 'ua-long', userAgent: USER_AGENTS[USER_AGENTS.length - 1] as string },
  { userID: 'ua-num', userAgent: 12345 as unknown as string },
  { userID: 'ip-num', ip: 134744072 as unknown as string },
  { userID: 'ip-custom', custom: { ip: '81.2.69.142' } },
  { userID: 'dates-1', custom: { signupDate: '2024-06-15' } },
  { userID: 'dates-2', custom: { signupDate: 1718409600 } },
  { userID: 'dates-3', custom: { signupDate: '1718409600' } },
  { userID: 'dates-4', custom: { signupDate: 'not a date' } },
  { userID: 'tags-num', custom: { tags: [1, 2, 3] } },
  { userID: 'tags-str', custom: { tags: ['1', '2'] } },
  { userID: 'level-str', custom: { level: '5' } },
  { userID: 'level-arr', custom: { level: [5] } },
  { userID: 'ver-num', appVersion: 2 as unknown as string },
  { userID: 'ver-pre', appVersion: '2.0.0-beta' },
  { userID: 'ver-x', appVersion: '1.x' },
  { userID: 'Mixed-Case' },
  { userID: 'mixed-case' },
];
