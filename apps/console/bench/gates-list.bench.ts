/**
 * The gates list with 1,000 gates in real Chromium, against the goal in the console issue: "usable
 * within one second of opening the page, and the built console served compressed with
 * long-lived caching of hashed assets".
 *
 * A real server (startServer, SQLite in a temporary directory) serves a fresh `vite build` of the
 * console; 1,000 gates with realistic rules (segments, attribute conditions, percentages,
 * environment-only rules, release plans, some turned off) are created through the authoring
 * API. Debian's Chromium (through playwright-core, never a downloaded browser) then opens
 * /gates signed in (the console key in localStorage, as after sign-in), and each run measures:
 *
 * - when the JS bundle arrived, and when the gates list was requested and arrived;
 * - first row: navigation start to the first gate row painted;
 * - all rows: navigation start to all 1,000 rows in the DOM and painted;
 * - main-thread CPU (thread time) for script, style and layout, and all tasks, to all rows;
 *   total blocking time (long tasks' time over 50 ms) up to then, and the longest task;
 * - usable: a key pressed in the search box as soon as the first row shows (the rest still
 *   rendering), to its results painted (the count and first rows), since navigation start; and
 *   that key's latency to its results and to all of their rows;
 * - search: keys typed once the list is complete, keydown to the results painted (worst key),
 *   and clearing the search (Backspace, back to all 1,000 rows);
 * - bytes on the wire (encoded) and decoded, per kind: document, JS, CSS, API.
 *
 * "Painted" is the first task after the next animation frame (rAF then setTimeout 0), which runs
 * after the frame's paint; keydown times are the event's own `timeStamp`. Cold runs use a new
 * browser context with the cache disabled (CDP Network.setCacheDisabled); warm runs reuse one
 * context after a priming load. Every configuration runs again with the CPU slowed 4x
 * (CDP Emulation.setCPUThrottlingRate) for a slower laptop. Finally the response headers are
 * checked: hashed assets `immutable` with a year's max-age, compressed; index.html revalidated;
 * the API list compressed.
 *
 * Run: npx tsx --conditions=@switchyard/source apps/console/bench/gates-list.bench.ts
 * Settings (environment): BENCH_RUNS (per configuration, 7), BENCH_GATES (1000),
 * CHROMIUM_PATH (/usr/bin/chromium), BENCH_PROFILE (a path: also write a CPU profile of one cold
 * load there and print its hottest functions), BENCH_VERBOSE=1 (print every load's timeline).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '@switchyard/server';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { build } from 'vite';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const GATES = Number(process.env.BENCH_GATES ?? 1000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GOAL_MS = 1000;
/** Print each load's timeline (resources, rows, long tasks) as it is measured. */
const VERBOSE = process.env.BENCH_VERBOSE === '1';
/** Write a CPU profile (.cpuprofile, for Chrome DevTools) of one cold load at CPU 1x here. */
const PROFILE = process.env.BENCH_PROFILE;
const CONSOLE_KEY = 'console-bench-gates-list';
const consoleRoot = fileURLToPath(new URL('..', import.meta.url));

// --- The project: 1,000 gates shaped like a real team's ----------------------------------------

let seed = 7;
/** Park-Miller: the same project every run. */
function random(): number {
  seed = (seed * 48_271) % 2_147_483_647;
  return seed / 2_147_483_647;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const AREAS = [
  'checkout',
  'search',
  'billing',
  'onboarding',
  'profile',
  'notifications',
  'payments',
  'recommendations',
  'navigation',
  'dashboard',
  'reports',
  'sharing',
  'pricing',
  'inventory',
  'shipping',
  'messaging',
  'analytics',
  'settings',
  'login',
  'feed',
];
const CHANGES = [
  'redesign',
  'v2',
  'fast_path',
  'beta',
  'new_api',
  'cache',
  'async_load',
  'inline_edit',
  'dark_mode',
  'batching',
  'lazy_images',
  'retry_policy',
  'compact_layout',
  'kill_legacy',
  'ml_ranking',
];
const TAGS = [
  'team-growth',
  'team-payments',
  'team-platform',
  'team-mobile',
  'team-search',
  'web',
  'ios',
  'android',
  'q3',
  'q4',
  'tech-debt',
  'experiment',
];
const OWNERS = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'edsger', 'frances'];

type Json = Record<string, unknown>;

function makeRule(): Json {
  switch (Math.floor(random() * 8)) {
    case 0:
      return {
        name: 'Employees',
        conditions: [{ type: 'pass_gate', value: 'segment:employees' }],
        passPercentage: 100,
      };
    case 1:
      return {
        name: 'Beta testers',
        conditions: [{ type: 'pass_gate', value: 'segment:beta_testers' }],
        passPercentage: 100,
      };
    case 2:
      return {
        name: 'North America',
        conditions: [{ type: 'user_field', field: 'country', operator: 'any', value: ['US', 'CA', 'MX'] }],
        passPercentage: pick([10, 25, 50, 100]),
      };
    case 3:
      return {
        name: 'New app versions',
        conditions: [
          { type: 'user_field', field: 'appVersion', operator: 'version_gte', value: '5.2.0' },
          { type: 'user_field', field: 'os', operator: 'any', value: ['iOS', 'Android'] },
        ],
        passPercentage: 100,
      };
    case 4:
      return {
        name: 'Paid plans',
        conditions: [
          { type: 'user_field', field: 'plan', operator: 'any', value: ['pro', 'enterprise'] },
          { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: ['@bigcorp.com'] },
        ],
        passPercentage: 50,
      };
    case 5:
      return {
        name: 'Staging',
        conditions: [{ type: 'public' }],
        passPercentage: 100,
        environments: ['staging'],
      };
    case 6:
      return {
        name: 'Allow list',
        conditions: [
          {
            type: 'unit_id',
            operator: 'any',
            value: Array.from({ length: 8 }, (_, i) => `user-${Math.floor(random() * 1e6)}-${i}`),
          },
        ],
        passPercentage: 100,
      };
    default:
      return { name: 'Rollout', conditions: [{ type: 'public' }], passPercentage: pick([1, 5, 10, 25, 50]) };
  }
}

function makeGate(i: number): Json {
  const area = pick(AREAS);
  const change = pick(CHANGES);
  const rules = Array.from({ length: 1 + Math.floor(random() * 4) }, makeRule);
  const tags = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TAGS)))];
  const withPlan = random() < 0.1;
  return {
    name: `${area}_${change}_${String(i).padStart(4, '0')}`,
    description:
      random() < 0.8
        ? `${change.replaceAll('_', ' ')} for ${area}: ${pick(['web', 'mobile', 'all'])} clients`
        : '',
    tags,
    owner: `${pick(OWNERS)}@company.com`,
    rules,
    ...(withPlan && {
      releasePlan: {
        stages: [
          { name: 'Employees', segment: 'employees' },
          { name: 'Canary', percentage: 5, minDurationMinutes: 60 },
          { name: 'Half', percentage: 50, minDurationMinutes: 1440 },
          { name: 'Everyone', percentage: 100 },
        ],
      },
    }),
  };
}

async function createProject(origin: string): Promise<Json[]> {
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${origin}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${await response.text()}`);
    return response.json() as Promise<Json>;
  };
  await api('POST', '/segments', {
    name: 'employees',
    rules: [
      {
        name: 'Company email',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
      },
    ],
  });
  await api('POST', '/segments', {
    name: 'beta_testers',
    rules: [{ name: 'Opted in', conditions: [{ field: 'beta', operator: 'eq', value: true }] }],
  });
  const gates = Array.from({ length: GATES }, (_, i) => makeGate(i));
  const started = performance.now();
  // A few writers at a time, as a team (or a migration script) would.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < gates.length) {
        const gate = gates[next++] as Json;
        await api('POST', '/gates', gate);
        const roll = random();
        if (roll < 0.08) await api('POST', `/gates/${gate.name}/disable`, { reason: 'incident' });
        else if (roll < 0.15) await api('POST', `/gates/${gate.name}/disable`, { environments: ['staging'] });
      }
    }),
  );
  console.log(
    `created ${GATES} gates through the API in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return ((await api('GET', '/gates')) as { gates: Json[] }).gates;
}

/** How many gates the list shows for a search (the page's filterGates, text part). */
function matching(gates: Json[], q: string): number {
  const text = q.trim().toLowerCase();
  return gates.filter(
    (gate) =>
      !text ||
      String(gate.name).includes(text) ||
      String(gate.description).toLowerCase().includes(text) ||
      (gate.tags as string[]).some((tag) => tag.toLowerCase().includes(text)),
  ).length;
}

// --- In the page ---------------------------------------------------------------------------------

/**
 * Installed before the console's own scripts: the stored key (signed in), a long-task observer,
 * and a MutationObserver stamping the first row and the complete list, each "painted" at the
 * first task after the next frame. `__benchArm(expected)` makes `__benchSearch` a promise of
 * the list showing `expected` gates (painted) after the next keydown. Plain JavaScript in a string: functions
 * passed to the page would carry tsx's `__name` helpers, which the page does not have.
 */
function pageProbe(key: string, total: number): string {
  return `(() => {
  try { localStorage.setItem('switchyard.consoleKey', ${JSON.stringify(key)}); } catch { return; }
  const total = ${total};
  const bench = { longTasks: [] };
  window.__bench = bench;
  const afterPaint = (then) => requestAnimationFrame(() => setTimeout(() => then(performance.now()), 0));
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const rows = () => document.querySelector('table[aria-label="Gates"] tbody')?.children.length ?? 0;
  let sawFirst = false;
  let sawAll = false;
  const observer = new MutationObserver(() => {
    const count = rows();
    if (count > 0 && !sawFirst) {
      sawFirst = true;
      afterPaint((at) => { bench.firstRow = at; });
    }
    if (count >= total && !sawAll) {
      sawAll = true;
      observer.disconnect();
      afterPaint((at) => { bench.allRows = at; });
    }
  });
  observer.observe(document, { childList: true, subtree: true });

  window.__benchArm = (expected) => { window.__benchSearch = search(expected); };
  const search = (expected) => new Promise((resolve, reject) => {
    let keyAt = -1;
    let firstAt = -1;
    let shownFirst = false;
    const statusText = () => document.querySelector('[aria-label="Filter gates"] + p[role="status"]')?.textContent;
    setTimeout(() => reject(new Error('no list of ' + expected + ' gates within 20 s: status "' +
      statusText() + '", ' + rows() + ' rows, key at ' + keyAt)), 20000);
    const status = expected === total ? total + ' gates' : expected + ' of ' + total + ' gates';
    // The first screenful of the new list (the count, and its first rows), then all of it.
    const check = () => {
      if (keyAt < 0 || statusText() !== status) return;
      if (!shownFirst && (expected === 0 || rows() > 0)) {
        shownFirst = true;
        afterPaint((at) => { firstAt = at; });
      }
      if (rows() !== expected) return;
      watcher.disconnect();
      afterPaint((paintedAt) => {
        const wait = () => (firstAt < 0 ? setTimeout(wait, 0) : resolve({ keyAt, firstAt, paintedAt }));
        wait();
      });
    };
    const watcher = new MutationObserver(check);
    document.addEventListener('keydown', (event) => {
      keyAt = event.timeStamp;
      watcher.observe(document.body, { childList: true, subtree: true, characterData: true });
    }, { once: true, capture: true });
  });
})();`;
}

// --- Network accounting over CDP -----------------------------------------------------------------

type Kind = 'document' | 'js' | 'css' | 'api' | 'other';
interface Transfer {
  url: string;
  kind: Kind;
  encoded: number;
  decoded: number;
  fromCache: boolean;
  headers: Record<string, string>;
  /** What the browser offered (its real request headers). */
  acceptEncoding?: string;
}

function kindOf(url: string, type: string | undefined): Kind {
  const path = new URL(url).pathname;
  if (path.startsWith('/api/')) return 'api';
  if (path.endsWith('.js')) return 'js';
  if (path.endsWith('.css')) return 'css';
  if (type === 'Document') return 'document';
  return 'other';
}

/** Records every response of the page (until `stop()`): sizes on the wire and decoded, headers. */
function recordNetwork(cdp: CDPSession) {
  const seen = new Map<string, Transfer>();
  const onRequest = (event: { requestId: string; request: { url: string }; type?: string }) => {
    if (!event.request.url.startsWith('http')) return;
    seen.set(event.requestId, {
      url: event.request.url,
      kind: kindOf(event.request.url, event.type),
      encoded: 0,
      decoded: 0,
      fromCache: false,
      headers: {},
    });
  };
  const onResponse = (event: {
    requestId: string;
    response: { headers: Record<string, string>; fromDiskCache?: boolean; fromPrefetchCache?: boolean };
  }) => {
    const transfer = seen.get(event.requestId);
    if (!transfer) return;
    transfer.headers = Object.fromEntries(
      Object.entries(event.response.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    if (event.response.fromDiskCache) transfer.fromCache = true;
  };
  // The request's real headers; this event may come before or after requestWillBeSent.
  const offered = new Map<string, string>();
  const onSent = (event: { requestId: string; headers: Record<string, string> }) => {
    const header = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'accept-encoding');
    if (header) offered.set(event.requestId, header[1]);
  };
  const onCached = (event: { requestId: string }) => {
    const transfer = seen.get(event.requestId);
    if (transfer) transfer.fromCache = true;
  };
  const onData = (event: { requestId: string; dataLength: number }) => {
    const transfer = seen.get(event.requestId);
    if (transfer) transfer.decoded += event.dataLength;
  };
  const onFinished = (event: { requestId: string; encodedDataLength: number }) => {
    const transfer = seen.get(event.requestId);
    if (transfer) transfer.encoded = transfer.fromCache ? 0 : event.encodedDataLength;
  };
  cdp.on('Network.requestWillBeSent', onRequest);
  cdp.on('Network.requestWillBeSentExtraInfo', onSent);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.requestServedFromCache', onCached);
  cdp.on('Network.dataReceived', onData);
  cdp.on('Network.loadingFinished', onFinished);
  return {
    stop(): Transfer[] {
      cdp.off('Network.requestWillBeSent', onRequest);
      cdp.off('Network.requestWillBeSentExtraInfo', onSent);
      cdp.off('Network.responseReceived', onResponse);
      cdp.off('Network.requestServedFromCache', onCached);
      cdp.off('Network.dataReceived', onData);
      cdp.off('Network.loadingFinished', onFinished);
      for (const [id, transfer] of seen) transfer.acceptEncoding = offered.get(id);
      return [...seen.values()];
    },
  };
}

// --- One page load -------------------------------------------------------------------------------

interface Run {
  firstRow: number;
  allRows: number;
  tbt: number;
  longestTask: number;
  /** The worst of the narrowing keys, keydown to painted. */
  searchKey: KeyTimes;
  /** The last Backspace, back to every gate. */
  clearKey: KeyTimes;
  /** The JS bundle received, the gates list requested and received (resource timing). */
  jsReady: number;
  apiStart: number;
  apiReady: number;
  /** Main-thread CPU time (thread ticks) to all rows: script, style+layout, all tasks. */
  scriptCpu: number;
  layoutCpu: number;
  taskCpu: number;
  transfers: Transfer[];
}

/** Keydown to the new list painted: its count and first rows, and all of its rows. */
interface KeyTimes {
  first: number;
  all: number;
}

interface EarlyRun extends KeyTimes {
  /** The filtered list's first rows painted, since navigation start. */
  usableAt: number;
}

const SEARCH = 'pay';

async function openList(page: Page, origin: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${origin}/gates`, { waitUntil: 'commit' });
}

/** The renderer's main-thread counters, in CPU time (Performance.enable with threadTicks). */
async function threadTicks(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value * 1000]));
}

async function measureLoad(page: Page, cdp: CDPSession, origin: string, gates: Json[]): Promise<Run> {
  const network = recordNetwork(cdp);
  await openList(page, origin);
  const ticks = await threadTicks(cdp);
  await page.waitForFunction(
    () => (window as unknown as { __bench: { allRows?: number } }).__bench.allRows,
    null,
    {
      timeout: 60_000,
      polling: 50,
    },
  );
  const work = await threadTicks(cdp);
  const delta = (name: string) => (work[name] ?? 0) - (ticks[name] ?? 0);
  const stamps = await page.evaluate(() => (window as unknown as { __bench: object }).__bench);
  // A string: functions sent to the page would carry tsx's `__name` helpers (see pageProbe).
  const { jsReady, apiStart, apiReady } = (await page.evaluate(`(() => {
    const resources = performance.getEntriesByType('resource');
    const api = resources.find((r) => new URL(r.name).pathname === '/api/v1/gates');
    const js = resources.filter((r) => /^\\/assets\\/.*\\.js$/.test(new URL(r.name).pathname));
    return {
      jsReady: Math.max(0, ...js.map((r) => r.responseEnd)),
      apiStart: api ? api.startTime : 0,
      apiReady: api ? api.responseEnd : 0,
    };
  })()`)) as { jsReady: number; apiStart: number; apiReady: number };
  const { firstRow, allRows, longTasks } = stamps as {
    firstRow: number;
    allRows: number;
    longTasks: [number, number][];
  };
  const before = longTasks.filter(([start]) => start < allRows);
  if (VERBOSE) {
    const tasks = before.map(([start, duration]) => `${start.toFixed(0)}+${duration.toFixed(0)}`).join(' ');
    console.log(
      `    js ${jsReady.toFixed(0)}, list ${apiStart.toFixed(0)}..${apiReady.toFixed(0)}, ` +
        `first row ${firstRow.toFixed(0)}, all rows ${allRows.toFixed(0)}; long tasks ${tasks}`,
    );
  }
  const tbt = before.reduce((sum, [, duration]) => sum + Math.max(0, duration - 50), 0);
  const longestTask = Math.max(0, ...before.map(([, duration]) => duration));
  // Let the network settle (the environments list) before reading the transfers.
  await page.waitForLoadState('networkidle');
  const transfers = network.stop();

  const search = page.getByLabel('Search gates');
  await search.focus();
  const searchKey: KeyTimes = { first: 0, all: 0 };
  for (let i = 1; i <= SEARCH.length; i++) {
    const times = await pressAndWait(page, SEARCH[i - 1] as string, matching(gates, SEARCH.slice(0, i)));
    searchKey.first = Math.max(searchKey.first, times.first);
    searchKey.all = Math.max(searchKey.all, times.all);
  }
  let clearKey: KeyTimes = { first: 0, all: 0 };
  for (let i = SEARCH.length - 1; i >= 0; i--) {
    clearKey = await pressAndWait(page, 'Backspace', matching(gates, SEARCH.slice(0, i)));
  }
  return {
    firstRow,
    allRows,
    tbt,
    longestTask,
    searchKey,
    clearKey,
    jsReady,
    apiStart,
    apiReady,
    scriptCpu: delta('ScriptDuration'),
    layoutCpu: delta('LayoutDuration') + delta('RecalcStyleDuration'),
    taskCpu: delta('TaskDuration'),
    transfers,
  };
}

type SearchStamps = { keyAt: number; firstAt: number; paintedAt: number };

/** Presses `key` in the focused search box; keydown to the list of `expected` gates painted. */
async function pressAndWait(page: Page, key: string, expected: number): Promise<KeyTimes> {
  const stamps = await pressAndStamp(page, key, expected);
  return { first: stamps.firstAt - stamps.keyAt, all: stamps.paintedAt - stamps.keyAt };
}

async function pressAndStamp(page: Page, key: string, expected: number): Promise<SearchStamps> {
  await page.evaluate(
    (n) => (window as unknown as { __benchArm: (n: number) => void }).__benchArm(n),
    expected,
  );
  await page.keyboard.press(key);
  return page.evaluate(() => (window as unknown as { __benchSearch: Promise<SearchStamps> }).__benchSearch);
}

/** A key pressed as soon as the first row shows, while the rest of the list is still rendering. */
async function measureEarlySearch(page: Page, origin: string, gates: Json[]): Promise<EarlyRun> {
  await openList(page, origin);
  await page.locator('table[aria-label="Gates"] tbody tr').first().waitFor({ timeout: 60_000 });
  await page.getByLabel('Search gates').focus();
  const key = SEARCH[0] as string;
  const { keyAt, firstAt, paintedAt } = await pressAndStamp(page, key, matching(gates, key));
  return { first: firstAt - keyAt, all: paintedAt - keyAt, usableAt: firstAt };
}

// --- Configurations ------------------------------------------------------------------------------

interface Series {
  label: string;
  runs: Run[];
  early: EarlyRun[];
}

async function newPage(browser: Browser, cacheDisabled: boolean, cpuRate: number, gates: number) {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(pageProbe(CONSOLE_KEY, gates));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await cdp.send('Network.setCacheDisabled', { cacheDisabled });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuRate });
  return { context, page, cdp, errors };
}

async function runSeries(
  browser: Browser,
  origin: string,
  gates: Json[],
  cold: boolean,
  cpuRate: number,
): Promise<Series> {
  const label = `${cold ? 'cold (cache off)' : 'warm (cached)'}, CPU ${cpuRate}x`;
  const runs: Run[] = [];
  const early: EarlyRun[] = [];
  const warm = cold ? undefined : await newPage(browser, false, cpuRate, gates.length);
  if (warm) await measureLoad(warm.page, warm.cdp, origin, gates); // priming load: fills the cache
  for (let i = 0; i < RUNS; i++) {
    const tab = warm ?? (await newPage(browser, true, cpuRate, gates.length));
    runs.push(await measureLoad(tab.page, tab.cdp, origin, gates));
    early.push(await measureEarlySearch(tab.page, origin, gates));
    if (tab.errors.length > 0) throw new Error(`page errors: ${tab.errors.join('; ')}`);
    if (!warm) await tab.context.close();
  }
  await warm?.context.close();
  return { label, runs, early };
}

/** One cold load under the V8 sampling profiler; prints the functions with the most self time. */
async function profileLoad(browser: Browser, origin: string, total: number) {
  const tab = await newPage(browser, true, 1, total);
  await tab.cdp.send('Profiler.enable');
  await tab.cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await tab.page.goto('about:blank');
  await tab.cdp.send('Profiler.start');
  await tab.page.goto(`${origin}/gates`, { waitUntil: 'commit' });
  await tab.page.waitForFunction(
    () => (window as unknown as { __bench: { allRows?: number } }).__bench.allRows,
  );
  const { profile } = await tab.cdp.send('Profiler.stop');
  await writeFile(PROFILE as string, JSON.stringify(profile));
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, index) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + (deltas[index] ?? 0) / 1000);
  });
  console.log(`CPU profile of a cold load written to ${PROFILE}; most self time (ms):`);
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${ms.toFixed(1).padStart(7)}  ${name}`);
  }
  await tab.context.close();
}

// --- Report --------------------------------------------------------------------------------------

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const p50max = (values: number[]) =>
  `${percentile(values, 50).toFixed(0)} / ${Math.max(...values).toFixed(0)}`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function bytesBy(transfers: Transfer[], kind: Kind, field: 'encoded' | 'decoded') {
  return transfers.filter((t) => t.kind === kind).reduce((sum, t) => sum + t[field], 0);
}

function checkHeaders(transfers: Transfer[]): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  for (const t of transfers) {
    const path = new URL(t.url).pathname;
    const cache = t.headers['cache-control'] ?? '(none)';
    const encoding = t.headers['content-encoding'] ?? 'identity';
    if (t.kind === 'js' || t.kind === 'css') {
      const maxAge = Number(/max-age=(\d+)/.exec(cache)?.[1] ?? 0);
      const ok = path.startsWith('/assets/') && cache.includes('immutable') && maxAge >= 31_536_000;
      lines.push(`${mark(ok)} ${path}: cache-control "${cache}"`);
      lines.push(`${mark(encoding !== 'identity')} ${path}: content-encoding ${encoding}`);
    } else if (t.kind === 'document') {
      lines.push(`${mark(cache.includes('no-cache'))} ${path} (index.html): cache-control "${cache}"`);
      lines.push(
        `${mark(encoding !== 'identity' || t.decoded < 1024)} ${path}: content-encoding ${encoding}`,
      );
    } else if (t.kind === 'api' && path.endsWith('/gates')) {
      lines.push(`${mark(encoding !== 'identity')} ${path}: content-encoding ${encoding}`);
    }
  }
  return lines;
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
    process.exit(1);
  }
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const buildDir = await mkdtemp(join(tmpdir(), 'switchyard-console-bench-'));
    cleanup.push(() => rm(buildDir, { recursive: true, force: true }));
    await build({
      root: consoleRoot,
      configFile: join(consoleRoot, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: buildDir, emptyOutDir: true },
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-console-bench-db-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const server: RunningServer = await startServer(
      {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: join(dataDir, 'switchyard.db'),
        initKeys: { console: CONSOLE_KEY },
        logLevel: 'warn',
        consoleDir: buildDir,
      },
      false,
      { pulseIntervalMs: 0, guardrailIntervalMs: 0, scheduleIntervalMs: 0 },
    );
    cleanup.unshift(() => server.close());
    const gates = await createProject(server.url);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    cleanup.unshift(() => browser.close());
    const version = browser.version();

    if (PROFILE) await profileLoad(browser, server.url, gates.length);
    const loadStart = loadavg().map((l) => l.toFixed(1));
    const series: Series[] = [];
    for (const cpuRate of [1, 4]) {
      for (const cold of [true, false]) {
        series.push(await runSeries(browser, server.url, gates, cold, cpuRate));
        console.log(`  measured: ${series.at(-1)?.label}`);
      }
    }

    const load = loadavg().map((l) => l.toFixed(1));
    console.log(
      `\nGates list, ${gates.length} gates; Chromium ${version} headless, 1280x800; node ${process.version}, ` +
        `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}; load average ${loadStart.join(' ')} ` +
        `at the start, ${load.join(' ')} at the end; ${RUNS} runs each; ms, p50 / max\n`,
    );
    console.log(
      'Since navigation start. Usable: a key pressed as soon as the first row shows has its results painted.\n',
    );
    console.log(
      '| load | JS received | list requested | list received | first row painted | all rows painted | usable | goal |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const { label, runs, early } of series) {
      const usable = early.map((e) => e.usableAt);
      const verdict = percentile(usable, 50) <= GOAL_MS ? 'met' : 'missed';
      console.log(
        `| ${label} | ${p50max(runs.map((r) => r.jsReady))} | ${p50max(runs.map((r) => r.apiStart))} | ` +
          `${p50max(runs.map((r) => r.apiReady))} | ${p50max(runs.map((r) => r.firstRow))} | ` +
          `${p50max(runs.map((r) => r.allRows))} | ${p50max(usable)} | ${GOAL_MS} (${verdict} at p50) |`,
      );
    }
    console.log(
      '\nMain thread to all rows (CPU: thread time), and typing: keydown to the results painted ' +
        '(count and first rows) and to all of their rows.\n',
    );
    console.log(
      '| load | script CPU | style+layout CPU | all tasks CPU | TBT | longest task | early key: results | early key: all | search key: results | search key: all | clear search: results | clear search: all |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const { label, runs, early } of series) {
      console.log(
        `| ${label} | ${p50max(runs.map((r) => r.scriptCpu))} | ${p50max(runs.map((r) => r.layoutCpu))} | ` +
          `${p50max(runs.map((r) => r.taskCpu))} | ${p50max(runs.map((r) => r.tbt))} | ` +
          `${p50max(runs.map((r) => r.longestTask))} | ${p50max(early.map((e) => e.first))} | ` +
          `${p50max(early.map((e) => e.all))} | ${p50max(runs.map((r) => r.searchKey.first))} | ` +
          `${p50max(runs.map((r) => r.searchKey.all))} | ${p50max(runs.map((r) => r.clearKey.first))} | ` +
          `${p50max(runs.map((r) => r.clearKey.all))} |`,
      );
    }

    console.log('\nBytes per load (median run): on the wire (encoded) / decoded\n');
    console.log('| load | document | JS | CSS | API | total on the wire |');
    console.log('|---|---|---|---|---|---|');
    for (const { label, runs } of series.filter((s) => s.label.endsWith('CPU 1x'))) {
      const run = runs[Math.floor(runs.length / 2)] as Run;
      const cell = (kind: Kind) =>
        `${kb(bytesBy(run.transfers, kind, 'encoded'))} / ${kb(bytesBy(run.transfers, kind, 'decoded'))}`;
      const total = run.transfers.reduce((sum, t) => sum + t.encoded, 0);
      console.log(
        `| ${label} | ${cell('document')} | ${cell('js')} | ${cell('css')} | ${cell('api')} | ${kb(total)} |`,
      );
    }
    const warmRun = series.find((s) => s.label.startsWith('warm'))?.runs[0] as Run;
    const assetsFromNetwork = warmRun.transfers.filter(
      (t) => (t.kind === 'js' || t.kind === 'css') && !t.fromCache,
    );
    console.log(
      `\nwarm load: ${assetsFromNetwork.length} of ${warmRun.transfers.filter((t) => t.kind === 'js' || t.kind === 'css').length} JS/CSS files fetched from the network (the rest from cache, not revalidated)`,
    );

    const coldRun = series[0]?.runs[0] as Run;
    console.log('\nResponse headers (cold load):');
    for (const line of checkHeaders(coldRun.transfers)) console.log(`  ${line}`);
    const offered = coldRun.transfers.find((t) => t.kind === 'api')?.acceptEncoding ?? '(unknown)';
    console.log(`  Chromium offered accept-encoding "${offered}"`);
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

await main();
