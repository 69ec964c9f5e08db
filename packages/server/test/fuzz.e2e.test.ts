/**
 * Property-based fuzz of every route the app registers, found at runtime (an `onRoute` hook on
 * the Fastify instance buildApp makes), so a new route is fuzzed without touching this file.
 * Each route gets malformed and random bodies (random JSON, non-JSON, wrong content types, huge
 * strings, ~10k-level nesting, prototype-pollution keys, NaN/Infinity-like values, gzip-declared
 * garbage), bodies and query strings shaped by the route's own schema with a value broken here
 * and there (so they reach the service behind the schema), odd headers and path parameters,
 * with no key and with a client, a server and a console key; every route that reads a body
 * also gets a fixed list of hostile bodies whatever the random runs draw. Whatever arrives, the
 * answer is never a 5xx, every 4xx is the error mapper's JSON (`{ error: { code, message } }`,
 * http/error-handler.ts), and the server still serves afterwards.
 *
 * Seeded and reproducible: each test's name carries FUZZ_SEED (fixed unless set), and a failure
 * prints fast-check's `path`; `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run <this file> -t
 * '<test name>'` replays it. The app's state carries over from test to test, so a failure that
 * depends on it needs the whole file: drop `-t` and FUZZ_PATH. `FUZZ_RUNS` sets the random runs
 * per route and key kind (more, and another FUZZ_SEED, to hunt locally).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifySchema, RouteOptions } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../src/app.js';
import { MAX_JSON_DEPTH } from '../src/http/json-depth.js';
import { openDatabase } from '../src/store/database.js';
import { schemaArbitrary } from './support/schema-arbitrary.js';

interface Route {
  method: string;
  url: string;
  schema?: FastifySchema;
}

/** Every route as buildApp registers it, recorded by an onRoute hook added at creation. */
const registered = vi.hoisted(() => [] as Route[]);

vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof import('fastify')>();
  const create = ((options?: Parameters<typeof original.default>[0]) => {
    const instance = original.default(options);
    instance.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) {
        registered.push({ method, url: route.url, ...(route.schema && { schema: route.schema }) });
      }
    });
    return instance;
  }) as typeof original.default;
  return { ...original, default: create, fastify: create };
});

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const REPLAY_PATH = process.env.FUZZ_PATH;
/** Runs per route and key kind: four key kinds, so four times this per route. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
/** The app registers ~190 routes (HEAD twins included); an enumeration that finds few is broken. */
const MIN_ROUTES = 150;

const KEYS = {
  console: 'console-fuzz-test-key-0001',
  server: 'secret-fuzz-test-key-0001',
  client: 'client-fuzz-test-key-0001',
} as const;
type KeyKind = keyof typeof KEYS | 'none';
const KEY_KINDS: KeyKind[] = ['none', 'client', 'server', 'console'];

// A built console (two files), so `/` and `/assets/*` serve files rather than the "not built" page.
const consoleDir = await mkdtemp(join(tmpdir(), 'switchyard-fuzz-console-'));
await mkdir(join(consoleDir, 'assets'));
await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>Switchyard</title>');
await writeFile(join(consoleDir, 'assets', 'index-fuzz.js'), 'console.log("fuzz")');

const database = await openDatabase(':memory:');
const app = await buildApp({
  database,
  consoleDir,
  // Background jobs only on demand; webhook attempts (to a closed port) fail fast, once.
  pulseIntervalMs: 0,
  guardrailIntervalMs: 0,
  scheduleIntervalMs: 0,
  webhooks: { timeoutMs: 200, maxAttempts: 1, pollIntervalMs: 3_600_000 },
});
for (const kind of ['console', 'server', 'client'] as const) {
  await app.keys.ensure('production', kind, KEYS[kind]);
}

afterAll(async () => {
  await app.http.close();
  await database.close();
  await rm(consoleDir, { recursive: true, force: true });
});

/** A console-key call that must succeed: the objects the fuzz aims its path parameters at. */
async function seed(method: 'POST' | 'PUT', url: string, payload: unknown, contentType = 'application/json') {
  const response = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${KEYS.console}`, 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  if (response.statusCode >= 300) throw new Error(`seeding ${method} ${url}: ${response.body}`);
  return response.json();
}

const gate = await seed('POST', '/gates', {
  name: 'fuzz_gate',
  rules: [{ name: 'staff', passPercentage: 50, conditions: [{ type: 'public' }] }],
});
await seed('POST', '/segments', {
  name: 'fuzz_segment',
  rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
});
await seed('POST', '/configs', { name: 'fuzz_config', defaultValue: { a: 1 } });
await seed('POST', '/layers', { name: 'fuzz_layer', defaultValue: { b: 1 } });
await seed('POST', '/experiments', {
  name: 'fuzz_experiment',
  groups: [
    { name: 'Control', weight: 50, parameters: { b: 1 } },
    { name: 'Test', weight: 50, parameters: { b: 2 } },
  ],
  allocationPercent: 10,
  defaultValue: { b: 1 },
});
await seed('POST', '/metrics', {
  name: 'fuzz_metric',
  type: 'event_count',
  numerator: { event: 'purchase' },
});
const list = await seed('PUT', '/id_lists/fuzz_list', 'u-1\nu-2\n', 'text/plain');
await seed('POST', '/webhooks', {
  name: 'fuzz_hook',
  url: 'http://127.0.0.1:9/hook',
  events: ['guardrail.*'],
});
await seed('POST', '/import/statsig', {
  feature_gates: [{ name: 'imported_gate', salt: 's', enabled: true, rules: [] }],
  dynamic_configs: [],
  layer_configs: [],
});
const scheduled = await seed('POST', '/scheduled-changes', {
  name: 'fuzz_gate',
  action: 'disable',
  at: Date.now() + 86_400_000,
});

// ---------------------------------------------------------------------------------------------
// The routes

const routes = [...new Map(registered.map((route) => [`${route.method} ${route.url}`, route])).values()].sort(
  (a, b) => (a.url === b.url ? a.method.localeCompare(b.method) : a.url.localeCompare(b.url)),
);

// ---------------------------------------------------------------------------------------------
// What the fuzz sends

/** Names the routes' schemas and the SDK protocols use, so random objects reach validation. */
function fieldNames(): string[] {
  const names = new Set([
    ...['events', 'eventName', 'user', 'userID', 'customIDs', 'stableID', 'metadata', 'value', 'time'],
    ...['statsigMetadata', 'hash', 'sinceTime', 'secondaryExposures', 'custom', 'privateAttributes'],
    ...['instanceId', 'revision', 'sdkType', 'sdkVersion', 'heldForMs', 'appliedAt', 'ids', 'version'],
    ...['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'],
  ]);
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'properties' && child && typeof child === 'object') {
          for (const name of Object.keys(child)) names.add(name);
        }
        visit(child);
      }
    }
  };
  visit(app.http.swagger());
  return [...names];
}

const FIELDS = fieldNames();
const QUERY_NAMES = [
  ...['environment', 'limit', 'sinceTime', 'k', 'gz', 'se', 'checks', 'alpha', 'cuped', 'sequential'],
  ...['nStar', 'through', 'granularity', 'from', 'to', 'kind', 'name', 'status', 'withinSeconds'],
  ...['header', 'reason', 'st', 'sv', 't', 'sid', 'ec', '__proto__', 'constructor', 'hasOwnProperty'],
];

const WEIRD_STRINGS = [
  ...['', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x1F', '1_000', '0.1e-400'],
  ...['null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype', '\u0000'],
  ...[
    '\uFFFF',
    '\uD800',
    '\u202E',
    '💥',
    '../../etc/passwd',
    '%s%s%s%n',
    '$' + '{x}',
    '{{x}}',
    "' OR 1=1 --",
  ],
  ...['<script>alert(1)</script>', '2024-02-30', '2024-13-01T25:61:61Z', '9999-12-31', '-271821-04-20'],
  ...['+275760-09-13T00:00:00.001Z', '1970-01-01', '0000-00-00', 'production', 'development'],
  ...['fuzz_gate', 'segment:fuzz_segment', 'a'.repeat(10_000)],
];
const WEIRD_NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 1e308, -1e308, 5e-324];

const weirdString = fc.constantFrom(...WEIRD_STRINGS);
const leaf = fc.oneof(
  weirdString,
  fc.constantFrom(...WEIRD_NUMBERS),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const fieldName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const { json: randomJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(fieldName, tie('json'), { maxKeys: 6 }),
  ),
}));

/** What a schema-guided value has in place of a valid one now and then. */
const weirdValue = fc.oneof(
  leaf,
  // Parsed, so `__proto__` is an own key as it is in a request body (a literal would set the prototype).
  fc.constantFrom(
    {},
    [],
    [[[]]],
    ...['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{}}}'].map((text) =>
      JSON.parse(text),
    ),
  ),
  fc.constant(JSON.parse(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)),
);

/**
 * The SDK protocols' bodies, which their routes read by hand (no route schema): the shapes
 * statsig-node, js-client and our SDKs send, for the schema-guided generator.
 */
const sdkUser = z
  .object({
    userID: z.string(),
    email: z.string(),
    ip: z.string(),
    country: z.string(),
    userAgent: z.string(),
    custom: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
    privateAttributes: z.record(z.string(), z.string()),
    customIDs: z.record(z.string(), z.string()),
    statsigEnvironment: z.object({ tier: z.string() }),
  })
  .partial();
const sdkEvents = z.object({
  events: z.array(
    z.object({
      eventName: z.string().min(1),
      user: sdkUser,
      value: z.union([z.string(), z.number()]).optional(),
      time: z.number().int(),
      metadata: z.record(z.string(), z.string()).optional(),
      secondaryExposures: z
        .array(z.object({ gate: z.string(), gateValue: z.string(), ruleID: z.string() }))
        .optional(),
    }),
  ),
  statsigMetadata: z.object({ stableID: z.string(), sdkType: z.string() }).partial().optional(),
});
const SDK_BODIES: Record<string, z.ZodType> = {
  '/v1/initialize': z
    .object({
      user: sdkUser,
      hash: z.enum(['djb2', 'sha256', 'none']),
      sinceTime: z.number().int().min(0),
      statsigMetadata: z.object({ stableID: z.string() }).partial(),
    })
    .partial(),
  '/v1/rgstr': sdkEvents,
  '/v1/log_event': sdkEvents,
  '/v1/get_id_lists': z.object({ statsigMetadata: z.object({ sdkType: z.string() }).partial() }).partial(),
};

/** A route schema part (zod, or JSON Schema already) as JSON Schema. */
function jsonSchemaOf(schema: unknown): Record<string, unknown> | undefined {
  if (schema instanceof z.ZodType) {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  }
  return schema && typeof schema === 'object' ? (schema as Record<string, unknown>) : undefined;
}

function guided(schema: Record<string, unknown>): fc.Arbitrary<unknown> {
  return schemaArbitrary(schema, { weird: weirdValue, mutateOneIn: 40, urls: ['http://127.0.0.1:9/hook'] });
}

/** One in `oneIn` values comes from `arbitrary`; the rest are undefined. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

interface Body {
  payload?: string | Buffer;
  contentType?: string;
  contentEncoding?: string;
}

const json = (value: unknown): Body => ({
  payload: JSON.stringify(value) ?? 'null',
  contentType: 'application/json',
});

const nested = (depth: number, shape: 'array' | 'object' | 'field') => {
  if (shape === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const inner = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return shape === 'object' ? inner : `{"user":${inner},"events":[${inner}],"body":${inner}}`;
};

/** ~12 MB of JSON whitespace in ~12 kB of gzip: over every route's inflated-body limit. */
const GZIP_BOMB = gzipSync(`{"events":[]${' '.repeat(12 * 1024 * 1024)}}`);

/** Huge strings and long arrays, made once (drawn hundreds of times). */
const HUGE_BODIES: Body[] = [100_000, 1_100_000].flatMap((size) => {
  const huge = 'x'.repeat(size);
  return [
    { payload: huge, contentType: 'text/plain' },
    json({ name: huge, user: { userID: huge } }),
    json({ events: [{ eventName: huge }] }),
  ];
});
HUGE_BODIES.push(
  json({ ids: Array.from({ length: 20_000 }, (_, i) => `id-${i}`), events: Array(20_000).fill({}) }),
);

/** Bodies no client should send: the same for every route. */
const hostileBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Body>({}) },
  { weight: 3, arbitrary: randomJson.map((value) => json(value)) },
  { weight: 5, arbitrary: fc.dictionary(fieldName, randomJson, { maxKeys: 8 }).map((value) => json(value)) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"name":"fuzz_x","__proto__":{"polluted":true,"enabled":true}}',
        '{"user":{"userID":"u","__proto__":{"polluted":true}}}',
        '{"events":[{"eventName":"e","user":{"__proto__":{"polluted":true}}}]}',
        '[{"__proto__":{"polluted":true}}]',
        '{"body":{"__proto__":{"polluted":true}},"name":"fuzz_gate","action":"disable","at":4102444800000}',
      )
      .map((payload) => ({ payload, contentType: 'application/json' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '{"version": NaN}',
        '{"limit": Infinity}',
        '{"value": -Infinity}',
        '{"version": 1e999}',
        '{"revision": 1e309, "instanceId": "instance-1"}',
        '{"sinceTime": 1e999}',
        '{"at": -1e999, "name": "fuzz_gate", "action": "disable"}',
        '{"ids": [1e999]}',
        '{"events": [{"eventName": "e", "time": 1e999, "value": -1e999}]}',
      )
      .map((payload) => ({ payload, contentType: 'application/json' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', undefined))
      .map(([payload, contentType]) => ({ payload, contentType })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.uint8Array({ maxLength: 512 }),
        fc.constantFrom(
          'application/json',
          'application/octet-stream',
          'text/csv',
          'multipart/form-data; boundary=x',
          undefined,
        ),
      )
      .map(([bytes, contentType]) => ({ payload: Buffer.from(bytes), contentType })),
  },
  { weight: 2, arbitrary: fc.constantFrom(...HUGE_BODIES) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH + 1, 1_000, 10_000),
        fc.constantFrom('array', 'object', 'field') as fc.Arbitrary<'array' | 'object' | 'field'>,
      )
      .map(([depth, shape]) => ({ payload: nested(depth, shape), contentType: 'application/json' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
          randomJson.map((value) => gzipSync(JSON.stringify(value) ?? 'null')),
          randomJson.map((value) => gzipSync(JSON.stringify(value) ?? 'null').subarray(0, 12)),
          fc.constant(GZIP_BOMB),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', undefined),
      )
      .map(([payload, contentType]) => ({ payload, contentType, contentEncoding: 'gzip' })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Body>(
      { payload: 'a=1&b=2&__proto__[polluted]=1', contentType: 'application/x-www-form-urlencoded' },
      {
        payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
        contentType: 'multipart/form-data; boundary=x',
      },
      { payload: '<?xml version="1.0"?><a>1</a>', contentType: 'application/xml' },
      { payload: '{"a":1}', contentType: 'application/json; charset=utf-16' },
      { payload: '{"a":1}', contentType: 'application/vnd.api+json' },
      { payload: '{"a":1}', contentType: 'text/plain; charset=utf-8' },
      { payload: '{"a":1}', contentType: '*/*' },
      { payload: '{"a":1}', contentType: ';;;' },
      { payload: '{"a":1}', contentType: 'application/json', contentEncoding: 'br' },
      { payload: '{"a":1}', contentType: 'application/json', contentEncoding: 'gzip, deflate' },
      { payload: '{"a":1}', contentType: 'application/json', contentEncoding: 'identity' },
    ),
  },
);

/** Printable ASCII only: Node's HTTP parser refuses anything else before Fastify sees it. */
const headerText = (maxLength: number) =>
  fc.string({
    maxLength,
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  });

const HEADER_VALUES: Record<string, fc.Arbitrary<string>> = {
  'content-type': fc.oneof(
    fc.constantFrom('application/json', 'text/plain', 'text/csv', 'application/x-www-form-urlencoded', ''),
    headerText(40),
  ),
  'content-length': fc.oneof(
    fc.constantFrom('-1', 'abc', '1e3', '0', '1', '99999999999999999999', '104857600', ' 5', '5, 5', '0x10'),
    fc.nat().map(String),
  ),
  'accept-encoding': fc.oneof(
    fc.constantFrom(
      ...['gzip', 'br', 'deflate', '*', 'identity;q=0', '*;q=0', 'gzip;q=0, identity;q=0, *;q=0'],
      ...['br;q=abc', 'gzip;q=1.5', ';;,,', 'x-gzip', 'zstd', 'gzip'.repeat(1000)],
    ),
    headerText(40),
  ),
  accept: fc.constantFrom('text/html', 'application/json', '*/*', 'text/event-stream', 'x/y;q=abc'),
  'if-match': fc.oneof(
    fc.constantFrom('"1"', 'W/"2"', '*', '"-1"', '"99999999999999999999"', '""'),
    headerText(20),
  ),
  'if-none-match': headerText(20),
  range: fc.oneof(
    fc.constantFrom('bytes=0-', 'bytes=5-2', 'bytes=-5', 'bytes=0-1,3-4', 'bytes=99999999999-', 'items=0-1'),
    headerText(20),
  ),
  'last-event-id': fc.oneof(fc.constantFrom('1', '-1', 'NaN', '99999999999999999999'), headerText(20)),
  'idempotency-key': headerText(300),
  origin: fc.constantFrom('https://example.com', 'null', '*'),
  'access-control-request-headers': headerText(60),
  'statsig-sdk-type': fc.constantFrom('statsig-node', 'js-client', ''),
  'statsig-api-key': fc.constantFrom('', 'secret-', 'client-nope', KEYS.server, KEYS.client),
  host: fc.constantFrom('localhost', 'example.com:99999', '[::1]', 'a b', ''),
  'x-forwarded-proto': fc.constantFrom('https', 'gopher'),
};
/** Odd request headers: each goes to one request in ten, so most requests carry one or none. */
const headers = fc.record(
  Object.fromEntries(Object.entries(HEADER_VALUES).map(([name, value]) => [name, rarely(value, 10)])),
);

const badAuthorization = fc.oneof(
  fc.constantFrom(
    ...[
      '',
      'Bearer',
      'Bearer ',
      'Bearer  ',
      'bearer x',
      'Basic dXNlcjpwYXNz',
      'Bearer secret-',
      'Bearer client-',
    ],
    ...[
      'Bearer console-',
      `Bearer ${'x'.repeat(10_000)}`,
      'Bearer \t',
      `Bearer ${KEYS.console.toUpperCase()}`,
    ],
  ),
  headerText(60),
);

/** Where a key goes: a Bearer token, Statsig's header, or js-client's `?k=`. */
const keyPlacement = fc.oneof(
  { weight: 3, arbitrary: fc.constant('bearer' as const) },
  { weight: 1, arbitrary: fc.constant('statsig' as const) },
  { weight: 1, arbitrary: fc.constant('query' as const) },
);

const PARAM_VALUES: Record<string, string[]> = {
  name: [
    ...['fuzz_gate', 'fuzz_segment', 'fuzz_config', 'fuzz_layer', 'fuzz_experiment', 'fuzz_metric'],
    ...['fuzz_list', 'fuzz_hook', 'imported_gate'],
  ],
  ruleId: [String(gate.rules?.[0]?.id ?? 'rule'), 'default', '0'],
  environment: ['production', 'development', 'staging', 'nowhere'],
  namespace: ['feature_gates', 'dynamic_configs', 'layer_configs', 'id_lists'],
  id: [String(scheduled.id), '1', '0', '-1', '1.5', '1e3', '99999999999999999999'],
  fileId: [String(list.fileId), 'AAAAAAAAAAAAAAAAAAAAAA'],
  file: [`${KEYS.server}.json`, `${KEYS.client}.json`, `${KEYS.console}.json`, KEYS.server, '.json'],
};
/** Percent-encoded UTF-8; a lone surrogate (which has none) becomes U+FFFD, as a browser sends it. */
const encode = (text: string) => encodeURIComponent(text.replace(/\p{Surrogate}/gu, '\uFFFD'));
const RAW_SEGMENTS = [
  '%00',
  '..',
  '%2e%2e',
  '%2F',
  '%',
  '%E0%A4%A',
  '%ZZ',
  '%F0%9F%92%A5',
  '%20',
  '~',
  ';x=1',
];

/** Path segments that name nothing in particular (built once: fc.stringMatching is costly to make). */
const strangeSegment = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  { weight: 2, arbitrary: weirdString.map(encode) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encode) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,30}$/) },
);

/** A path parameter: mostly objects that exist (or the values its schema allows), else anything. */
function paramValue(name: string, allowed: readonly string[] = []): fc.Arbitrary<string> {
  const known = [...allowed, ...(PARAM_VALUES[name] ?? PARAM_VALUES.name ?? [])];
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...known.map(encode)) },
    { weight: 7, arbitrary: strangeSegment },
  );
}

/** The route's URL with every `:param` and `*` filled in. */
function pathFor(route: Route): fc.Arbitrary<string> {
  const params = (jsonSchemaOf(route.schema?.params)?.properties ?? {}) as Record<
    string,
    { enum?: unknown[] }
  >;
  const parts = route.url.split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*)/).filter((part) => part !== '');
  return fc
    .tuple(
      ...parts.map((part) => {
        if (part === '*') {
          return fc.oneof(
            fc.constantFrom('index-fuzz.js', 'static/index.html', 'nope.js', '', '../index.html'),
            fc.array(paramValue('file'), { maxLength: 3 }).map((segments) => segments.join('/')),
          );
        }
        if (part.startsWith(':')) {
          const name = part.slice(1).replace(/\(.*$/, '');
          return paramValue(name, (params[name]?.enum ?? []).map(String));
        }
        return fc.constant(part);
      }),
    )
    .map((filled) => filled.join(''));
}

/** Query strings of any shape. */
const randomQuery = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, fc.string({ maxLength: 8 })),
          fc.oneof(
            weirdString,
            fc.constantFrom('1', '0', 'true', 'false', '100', '1001', '2024-01-01', 'hour', 'day', 'pending'),
            fc.integer().map(String),
            fc.double().map(String),
            fc.string({ unit: 'grapheme', maxLength: 20 }),
          ),
        ),
        { maxLength: 6 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%%%&&==&',
      'a[b]=1&__proto__[polluted]=1',
      'k&k&k',
      'limit=1&limit=2&environment=a&environment=b',
      'k=a&k=b',
      'gz=1&se=1',
      `k=${'x'.repeat(10_000)}`,
      '%E0%A4%A=1',
    ),
  },
);

/** A value as a query string, the way `qs`-less clients write one: arrays repeat the key. */
function toQuery(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return '';
  const pairs: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    for (const one of Array.isArray(item) ? item : [item]) {
      const text = typeof one === 'string' ? one : (JSON.stringify(one) ?? '');
      pairs.push(`${encode(key)}=${encode(text)}`);
    }
  }
  return pairs.join('&');
}

/** The route's query: half the time shaped by its schema (when it has one), else random. */
function queryFor(route: Route): fc.Arbitrary<string> {
  const schema = jsonSchemaOf(route.schema?.querystring);
  if (!schema) return randomQuery;
  return fc.oneof(randomQuery, guided(schema).map(toQuery));
}

/** The route's body: half the time shaped by its schema (or its protocol's), else hostile. */
function bodyFor(route: Route): fc.Arbitrary<Body> {
  const schema = jsonSchemaOf(route.schema?.body) ?? jsonSchemaOf(SDK_BODIES[route.url]);
  if (!schema || route.method === 'GET' || route.method === 'HEAD') return hostileBody;
  return fc.oneof(
    hostileBody,
    guided(schema).map((value) => json(value)),
  );
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

interface RequestParts {
  path: string;
  query: string;
  headers: Record<string, string | undefined>;
  body: Body;
  placement: 'bearer' | 'statsig' | 'query';
  badAuthorization: string | null;
  /** Whether a random Content-Type header replaces the body's own. */
  overrideType: boolean;
}

function buildRequest(route: Route, key: KeyKind, parts: RequestParts): FuzzRequest {
  const { path, query, headers, body, placement, badAuthorization, overrideType } = parts;
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-type' && !overrideType) continue;
    if (value !== undefined) sent[name] = value;
  }
  if (body.contentType !== undefined && !(overrideType && headers['content-type'] !== undefined)) {
    sent['content-type'] = body.contentType;
  }
  if (body.contentEncoding !== undefined) sent['content-encoding'] = body.contentEncoding;
  let search = query;
  if (key === 'none') {
    delete sent['statsig-api-key'];
    if (badAuthorization !== null) sent.authorization = badAuthorization;
  } else if (placement === 'bearer') {
    sent.authorization = `Bearer ${KEYS[key]}`;
  } else if (placement === 'statsig') {
    sent['statsig-api-key'] = KEYS[key];
  } else {
    search = `k=${KEYS[key]}${search ? `&${search}` : ''}`;
  }
  const request: FuzzRequest = {
    method: route.method,
    url: search ? `${path}?${search}` : path,
    headers: sent,
    ...(body.payload !== undefined && { payload: body.payload }),
  };
  // A counterexample prints as the request, its body cut short (a gzip bomb is 12 kB).
  return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
}

/** A route's request parts, made once and shared by its four key kinds (schemas are slow to read). */
const partsByRoute = new Map<Route, fc.Arbitrary<RequestParts>>();

function requestFor(route: Route, key: KeyKind): fc.Arbitrary<FuzzRequest> {
  let parts = partsByRoute.get(route);
  if (!parts) {
    parts = fc.record({
      path: pathFor(route),
      query: queryFor(route),
      headers,
      body: bodyFor(route),
      placement: keyPlacement,
      badAuthorization: fc.option(badAuthorization),
      overrideType: fc.boolean(),
    });
    partsByRoute.set(route, parts);
  }
  return parts.map((drawn) => buildRequest(route, key, drawn));
}

/**
 * Every route that reads a body is sent each of these as well, whatever the random runs draw,
 * at an object that exists: the cases the fuzz must never miss.
 */
const HOSTILE_EXAMPLES: Body[] = [
  { payload: nested(10_000, 'array'), contentType: 'application/json' },
  { payload: nested(10_000, 'object'), contentType: 'application/json' },
  { payload: nested(10_000, 'field'), contentType: 'application/json' },
  { payload: nested(MAX_JSON_DEPTH + 1, 'field'), contentType: 'application/json' },
  {
    payload:
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"user":{"userID":"u","__proto__":{"polluted":true}},"events":[{"eventName":"e","metadata":{"__proto__":{"polluted":true}}}]}',
    contentType: 'application/json',
  },
  {
    payload: '{"version":1e999,"revision":1e999,"sinceTime":1e999,"at":1e999,"time":1e999,"limit":-1e999}',
    contentType: 'application/json',
  },
  { payload: '{"version": NaN, "limit": Infinity}', contentType: 'application/json' },
  json({ name: 'x'.repeat(1_100_000) }),
  json({
    name: 'x'.repeat(100_000),
    user: { userID: 'x'.repeat(100_000) },
    events: [{ eventName: 'x'.repeat(100_000) }],
    ids: ['x'.repeat(100_000)],
    reason: 'x'.repeat(100_000),
  }),
  { payload: '{"events":[{"eventName":', contentType: 'application/json' },
  { payload: '', contentType: 'application/json' },
  { payload: Buffer.from('definitely not gzip'), contentType: 'application/json', contentEncoding: 'gzip' },
  { payload: GZIP_BOMB, contentType: 'application/json', contentEncoding: 'gzip' },
  { payload: GZIP_BOMB, contentType: 'text/plain', contentEncoding: 'gzip' },
  { payload: '<a>1</a>', contentType: 'application/xml' },
  { payload: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
];

/** The seeded object a route's `:name` can reach, by the route's family. */
const EXISTING_NAMES: [RegExp, string][] = [
  [/\/segments\//, 'fuzz_segment'],
  [/\/configs\//, 'fuzz_config'],
  [/\/layers\//, 'fuzz_layer'],
  [/\/experiments\//, 'fuzz_experiment'],
  [/\/metrics\//, 'fuzz_metric'],
  [/\/id_lists\//, 'fuzz_list'],
  [/\/webhooks\//, 'fuzz_hook'],
  [/\/imported\//, 'imported_gate'],
  [/\/environments\//, 'production'],
];

function examplesFor(route: Route, key: KeyKind): [FuzzRequest][] {
  if (route.method === 'GET' || route.method === 'HEAD') return [];
  const existing = (name: string) =>
    name === 'name'
      ? (EXISTING_NAMES.find(([family]) => family.test(route.url))?.[1] ?? 'fuzz_gate')
      : (PARAM_VALUES[name]?.[0] ?? 'fuzz_gate');
  const path = route.url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?|\*/g, (_part, name?: string) =>
    encode(name === undefined ? 'index-fuzz.js' : existing(name)),
  );
  return HOSTILE_EXAMPLES.map((body) => [
    buildRequest(route, key, {
      path,
      query: '',
      headers: {},
      body,
      placement: 'bearer',
      badAuthorization: null,
      overrideType: false,
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Sending, and what every answer must be

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const statuses = new Map<number, number>();

async function send(request: FuzzRequest): Promise<Answer> {
  const response = await app.http.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload !== undefined && { payload: request.payload }),
    // Resolves at the status line, so an event stream (which never ends) can be let go.
    payloadAsStream: true,
  });
  const contentType = String(response.headers['content-type'] ?? '');
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  if (contentType.startsWith('text/event-stream')) {
    response.raw.res.destroy();
    return { status: response.statusCode, contentType, body: '' };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream()) chunks.push(Buffer.from(chunk as Buffer));
  return { status: response.statusCode, contentType, body: Buffer.concat(chunks).toString('utf8') };
}

function describeRequest(request: FuzzRequest): string {
  const payload =
    request.payload === undefined
      ? ''
      : ` body(${request.payload.length} bytes): ${JSON.stringify(request.payload.toString().slice(0, 300))}`;
  return `${request.method} ${request.url.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 600)}${payload}`;
}

function describeExchange(request: FuzzRequest, answer: Answer): string {
  return `${describeRequest(request)}\n  -> ${answer.status} ${answer.contentType} ${answer.body.slice(0, 500)}`;
}

const ERROR_CODE = /^[a-z][a-z0-9_]*$/;

function checkAnswer(request: FuzzRequest, answer: Answer): void {
  const exchange = describeExchange(request, answer);
  if (answer.status >= 500) throw new Error(`a 5xx: ${exchange}`);
  if (answer.status < 400) return;
  if (!answer.contentType.startsWith('application/json'))
    throw new Error(`a 4xx that is not JSON: ${exchange}`);
  // HEAD answers carry the headers of the GET's answer and no body.
  if (request.method === 'HEAD') return;
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(answer.body) as { error?: typeof error }).error;
  } catch {
    throw new Error(`a 4xx whose body is not JSON: ${exchange}`);
  }
  if (typeof error?.code !== 'string' || !ERROR_CODE.test(error.code) || typeof error.message !== 'string') {
    throw new Error(`a 4xx without { error: { code, message } }: ${exchange}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The tests

describe('route enumeration', () => {
  it(`finds every route buildApp registers (at least ${MIN_ROUTES})`, () => {
    expect(routes.length).toBeGreaterThanOrEqual(MIN_ROUTES);
    const names = routes.map((route) => `${route.method} ${route.url}`);
    // One of each family, so a family that stops registering is noticed.
    for (const expected of [
      'GET /healthz',
      'POST /api/v1/gates',
      'PATCH /api/v1/gates/:name',
      'PUT /api/v1/id_lists/:name',
      'POST /v1/initialize',
      'POST /v1/log_event',
      'GET /v1/stream',
      'GET /v1/id_list_files/:fileId',
      'GET /metrics',
      'GET /',
    ]) {
      expect(names).toContain(expected);
    }
  });
});

/** Each route and key kind its own seed, derived from FUZZ_SEED, so they do not all send alike. */
function seedOf(route: Route, key: KeyKind): number {
  let hash = 0x811c9dc5 ^ SEED;
  for (const char of `${route.method} ${route.url} ${key}`)
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash | 0;
}

describe.each(routes)(`FUZZ_SEED=${SEED}: $method $url`, (route) => {
  it.each(KEY_KINDS)('never answers 5xx or a non-JSON 4xx (key: %s)', async (key) => {
    const examples = examplesFor(route, key);
    await fc.assert(
      fc.asyncProperty(requestFor(route, key), async (request) => {
        checkAnswer(request, await send(request));
      }),
      {
        seed: seedOf(route, key),
        // Examples count as runs: RUNS random ones come after them.
        numRuns: examples.length + RUNS,
        examples,
        ...(REPLAY_PATH && { path: REPLAY_PATH }),
      },
    );
  });
});

/** What the fuzz found, pinned: each was a 5xx or a 4xx outside the error body's shape. */
describe('regressions', () => {
  const call = (
    method: 'GET' | 'POST',
    url: string,
    payload?: string,
    headers: Record<string, string> = {},
  ) =>
    app.http.inject({
      method,
      url,
      headers: { authorization: `Bearer ${KEYS.console}`, 'content-type': 'application/json', ...headers },
      ...(payload !== undefined && { payload }),
    });
  const deep = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

  it("a URL the router refuses gets the usual error body (was Fastify's own)", async () => {
    const badEscape = await call('GET', '/api/v1/gates/%E0%A4%A');
    expect(badEscape.statusCode).toBe(400);
    expect(badEscape.json().error).toMatchObject({ code: 'fst_err_bad_url', message: expect.any(String) });
    const longParam = await call('GET', `/api/v1/gates/${'a'.repeat(10_000)}`);
    expect(longParam.statusCode).toBe(414);
    expect(longParam.json().error.code).toBe('fst_err_max_param_length');
  });

  it('/v1/stream with ?k= twice is a 400 naming the field (was a 500 hashing an array)', async () => {
    const response = await call('GET', `/v1/stream?k=${KEYS.client}&k=${KEYS.client}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'invalid_request',
      details: { field: 'querystring.k' },
    });
  });

  it('/v1/initialize with a user nested 10,000 levels is a 400 (was a 500: the echo overflowed the stack)', async () => {
    const response = await call('POST', '/v1/initialize', `{"user":${deep(10_000)}}`, {
      authorization: `Bearer ${KEYS.client}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'body_too_deep',
      details: { limit: MAX_JSON_DEPTH },
    });
    expect(response.json().error.details.field).toMatch(/^body\.user\.a\.a/);
    const rgstr = await call('POST', '/v1/rgstr', `{"events":[{"eventName":"e","metadata":${deep(100)}}]}`, {
      authorization: `Bearer ${KEYS.client}`,
    });
    expect(rgstr.json().error.code).toBe('body_too_deep');
  });

  it(`a JSON body may nest ${MAX_JSON_DEPTH} levels, and one level more is a 400 body_too_deep`, async () => {
    // The body is level 1 and its defaultValue level 2.
    const atLimit = await call(
      'POST',
      '/api/v1/configs',
      `{"name":"deep_ok","defaultValue":${deep(MAX_JSON_DEPTH - 1)}}`,
    );
    expect(atLimit.statusCode, atLimit.body).toBe(201);
    const tooDeep = await call(
      'POST',
      '/api/v1/configs',
      `{"name":"deep_no","defaultValue":${deep(MAX_JSON_DEPTH)}}`,
    );
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json().error).toMatchObject({
      code: 'body_too_deep',
      details: { field: `body.defaultValue${'.a'.repeat(MAX_JSON_DEPTH - 1)}`, limit: MAX_JSON_DEPTH },
    });
    const events = await call(
      'POST',
      '/v1/log_event',
      `{"events":[{"eventName":"e","metadata":${deep(10_000)}}]}`,
      {
        authorization: `Bearer ${KEYS.server}`,
      },
    );
    expect(events.statusCode).toBe(400);
    expect(events.json().error.code).toBe('body_too_deep');
  });
});

describe('after the fuzz', () => {
  it('reached past authentication and validation', () => {
    const count = (from: number, to: number) =>
      [...statuses].filter(([status]) => status >= from && status < to).reduce((sum, [, n]) => sum + n, 0);
    expect(count(200, 300)).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(count(500, 600)).toBe(0);
  });

  it('still answers health checks and SDK initialization, and nothing polluted Object.prototype', async () => {
    // Any stray stream error (a body never read, a gzip stream) gets a turn to surface first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.http.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const initialize = await app.http.inject({
      method: 'POST',
      url: `/v1/initialize?k=${KEYS.client}`,
      payload: { user: { userID: 'after-fuzz' } },
    });
    expect(initialize.statusCode, initialize.body).toBe(200);
    expect(initialize.json()).toHaveProperty('feature_gates');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Every event stream the fuzz opened (and let go) was closed and forgotten.
    expect(app.streams.size).toBe(0);
  });
});
