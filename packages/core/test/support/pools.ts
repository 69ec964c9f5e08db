/**
 * Values shared by the differential test's spec and user generators, so that generated
 * conditions actually match some generated users (a target nobody can hit tests nothing).
 */

/** The instant both evaluators see for `current_time`: 2024-06-15T12:00:00Z. */
export const FIXED_NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
export const DAY_MS = 86_400_000;

/** The DCS `app_id`, the primary target app for `target_app` conditions. */
export const APP_ID = 'app-main-6f1e';

/** Real user agents (desktop, phones, tablets, bots), plus junk and an over-long one. */
export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  'Mozilla/5.0 (Android 13; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0.2526.106 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.4.0',
  '',
  'ユーザーエージェント 😀',
  `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 ${'x'.repeat(1000)}`,
];

/** Real public addresses in several countries, private and malformed ones, and numeric forms. */
export const IPS: readonly (string | number)[] = [
  '8.8.8.8',
  '1.1.1.1',
  '81.2.69.142',
  '133.242.0.3',
  '202.12.27.33',
  '185.60.216.35',
  '200.160.2.3',
  '41.203.18.183',
  '77.88.55.242',
  '104.16.132.229',
  '3.120.0.1',
  '2001:4860:4860::8888',
  '127.0.0.1',
  '10.0.0.1',
  '192.168.1.1',
  '0.0.0.0',
  '255.255.255.255',
  '999.1.1.1',
  'not-an-ip',
  '',
  134744072,
  -1,
];

export const EMAIL_DOMAINS: readonly string[] = [
  'example.com',
  'Example.COM',
  'corp.io',
  'gmail.com',
  'statsig.com',
  'ヤフー.jp',
];

export const EMAIL_NAMES: readonly string[] = ['alice', 'bob', 'Carol', 'dave', 'エリ', 'frank', 'zoë'];

export const COUNTRIES: readonly unknown[] = ['US', 'us', 'JP', 'DE', 'GB', 'BR', 'Us', '', null, 5, ['US']];

export const LOCALES: readonly string[] = ['en_US', 'en-GB', 'ja_JP', 'de-DE', 'pt_BR', 'EN_us'];

export const APP_VERSIONS: readonly unknown[] = [
  '1.2.3',
  '1.10.0',
  '1.9',
  '2.0.0',
  '2.0',
  '2',
  '2.0.0-beta.1',
  '2.0.1-rc.2',
  '10.0.1',
  '1.x',
  '',
  '1.2.3.4.5',
  ' 2.0',
  'v2.0',
  '1..2',
  '3',
  3,
  null,
];

export const PLANS: readonly unknown[] = ['pro', 'PRO', 'Pro', 'free', 'enterprise', 'Enterprise', null, 1];

/** Tag values mix strings and numbers, so `array_contains_*` hit its parseInt quirk. */
export const TAGS: readonly unknown[] = ['a', 'b', 'c', 'A', 1, 2, '2', 'beta', 'ß', '🚀'];

export const COMPANIES: readonly unknown[] = [
  'acme',
  'ACME',
  'globex',
  'initech',
  'Initech',
  'umbrella',
  'ヤマダ電機',
  '😀corp',
  '\uD83Dlone',
  '',
  42,
];

/** Environment objects as users send them: key case varies, and some are not objects at all. */
export const USER_ENVIRONMENTS: readonly unknown[] = [
  { tier: 'production' },
  { tier: 'staging' },
  { tier: 'development' },
  { tier: 'Staging' },
  { Tier: 'staging' },
  { TIER: 'production', region: 'eu' },
  { tier: 5 },
  { region: 'us' },
  'staging',
  null,
];

/** Signup dates in every form `before`/`after`/`on` accept: ISO, seconds, ms, loose strings, junk. */
export function signupDate(choice: number, offsetDays: number): unknown {
  const ms = FIXED_NOW + offsetDays * 86_400_000;
  switch (choice % 9) {
    case 0:
      return new Date(ms).toISOString();
    case 1:
      return Math.floor(ms / 1000);
    case 2:
      return ms;
    case 3:
      return new Date(ms).toISOString().slice(0, 10);
    case 4:
      return String(Math.floor(ms / 1000));
    case 5:
      return new Date(ms).toUTCString();
    case 6:
      return 'yesterday';
    case 7:
      return null;
    default:
      return true;
  }
}

/**
 * ID-list contents by list name, as raw unit IDs. The test turns them into list-file entries
 * once (`idListEntryHash`) and gives both evaluators the same entries.
 */
export function idListMembers(): Record<string, string[]> {
  const beta: string[] = [];
  for (let n = 0; n < 12_000; n += 3) beta.push(`user-${n}`);
  beta.push('ユーザー7', '😀12🚀', '\uD800lone', 'e\u0301', '42', '', 'Mixed-Case');
  // Long multi-byte IDs, as the user generator makes them (see its comment on SHA-256 boundaries).
  for (let n = 0; n < 12_000; n += 7)
    beta.push(`${'長い'.repeat(5 + (n % 36))}${n}`, `${'long-'.repeat(1 + (n % 30))}${n}`);
  const emails: string[] = [];
  for (const name of EMAIL_NAMES) for (let k = 0; k < 40; k += 2) emails.push(`${name}${k}@example.com`);
  const devices: string[] = [];
  for (let k = 0; k < 1000; k += 4) devices.push(`stable-${k}`);
  return {
    beta_users: beta,
    companies: ['acme', 'initech', 'ヤマダ電機', '😀corp', '\uD83Dlone'],
    emails,
    blocked_devices: devices,
    empty_list: [],
  };
}
