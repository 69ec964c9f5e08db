/**
 * Bundle size of a minimal app per browser SDK: initialize with a user, check one flag, log one
 * event. Each app is bundled with esbuild (minified ESM, browser platform, tree-shaken,
 * production React/NODE_ENV), then gzipped (level 9). Run: `npm run bench -w @switchyard/js`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The goal from the issue: under 8 kB gzipped, and smaller than every peer. */
const GOAL_BYTES = 8 * 1024;

interface App {
  sdk: string;
  /** What the app calls; SDKs without a custom-event API say so. */
  note: string;
  source: string;
  external?: string[];
  ours?: boolean;
}

const APPS: App[] = [
  {
    sdk: '@switchyard/js',
    note: 'initialize, checkGate, logEvent',
    ours: true,
    source: `import { SwitchyardClient } from '@switchyard/js';
const client = new SwitchyardClient('client-key', { api: 'https://flags.example.com/v1' });
await client.initialize({ userID: 'user-1' });
console.log(client.checkGate('new_checkout'));
client.logEvent('purchase', 1);`,
  },
  {
    sdk: '@switchyard/js/react (excl. react)',
    note: 'client + Provider + useGate (react not counted)',
    ours: true,
    external: ['react', 'react/jsx-runtime'],
    source: `import { createElement } from 'react';
import { SwitchyardProvider, useGate, useSwitchyard } from '@switchyard/js/react';
function App() { const client = useSwitchyard(); client.logEvent('purchase', 1); return useGate('new_checkout').value ? 'new' : 'old'; }
export const root = createElement(SwitchyardProvider, { clientKey: 'client-key', user: { userID: 'user-1' }, options: { api: 'https://flags.example.com/v1' } }, createElement(App));`,
  },
  {
    sdk: '@switchyard/js/openfeature (excl. web-sdk)',
    note: 'client + provider, getBooleanValue, track (web-sdk not counted)',
    ours: true,
    external: ['@openfeature/web-sdk'],
    source: `import { OpenFeature } from '@openfeature/web-sdk';
import { SwitchyardClient } from '@switchyard/js';
import { SwitchyardWebProvider } from '@switchyard/js/openfeature';
await OpenFeature.setProviderAndWait(new SwitchyardWebProvider(new SwitchyardClient('client-key', { api: 'https://flags.example.com/v1' })), { targetingKey: 'user-1' });
const client = OpenFeature.getClient();
console.log(client.getBooleanValue('new_checkout', false));
client.track('purchase', { value: 1 });`,
  },
  {
    sdk: '@statsig/js-client 3.33.5',
    note: 'initializeAsync, checkGate, logEvent',
    source: `import { StatsigClient } from '@statsig/js-client';
const client = new StatsigClient('client-key', { userID: 'user-1' });
await client.initializeAsync();
console.log(client.checkGate('new_checkout'));
client.logEvent('purchase', 1);`,
  },
  {
    sdk: 'unleash-proxy-client 3.8.2',
    note: 'start, isEnabled (no custom-event API)',
    source: `import { UnleashClient } from 'unleash-proxy-client';
const client = new UnleashClient({ url: 'https://unleash.example.com/api/frontend', clientKey: 'key', appName: 'shop', context: { userId: 'user-1' } });
await client.start();
console.log(client.isEnabled('new_checkout'));`,
  },
  {
    sdk: 'flagsmith 10.0.0',
    note: 'init with identity, hasFeature (no custom-event API)',
    source: `import flagsmith from 'flagsmith';
await flagsmith.init({ environmentID: 'env-key', identity: 'user-1' });
console.log(flagsmith.hasFeature('new_checkout'));`,
  },
  {
    sdk: '@growthbook/growthbook 1.8.0',
    note: 'init, isOn, logEvent',
    source: `import { GrowthBook } from '@growthbook/growthbook';
const gb = new GrowthBook({ apiHost: 'https://gb.example.com', clientKey: 'sdk-key', attributes: { id: 'user-1' }, trackingCallback: () => {} });
await gb.init();
console.log(gb.isOn('new_checkout'));
gb.logEvent('purchase', { value: 1 });`,
  },
  {
    sdk: 'launchdarkly-js-client-sdk 3.9.5',
    note: 'initialize, variation, track',
    source: `import { initialize } from 'launchdarkly-js-client-sdk';
const client = initialize('client-side-id', { kind: 'user', key: 'user-1' });
await client.waitForInitialization();
console.log(client.variation('new_checkout', false));
client.track('purchase', undefined, 1);`,
  },
];

async function measure(app: App): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    stdin: { contents: app.source, resolveDir: PACKAGE_DIR, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    // Our package is resolved to its sources, as everywhere in the workspace.
    conditions: ['@switchyard/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    external: app.external ?? [],
    logLevel: 'error',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

const kB = (bytes: number) => (bytes / 1024).toFixed(1);

const rows: { app: App; minified: number; gzipped: number }[] = [];
for (const app of APPS) rows.push({ app, ...(await measure(app)) });

const width = Math.max(...rows.map((row) => row.app.sdk.length));
console.log(`${'SDK'.padEnd(width)}  gzip kB  min kB  app`);
for (const { app, minified, gzipped } of rows) {
  console.log(
    `${app.sdk.padEnd(width)}  ${kB(gzipped).padStart(7)}  ${kB(minified).padStart(6)}  ${app.note}`,
  );
}

const ours = rows[0]?.gzipped ?? 0;
const peers = rows.filter((row) => !row.app.ours);
const smallestPeer = Math.min(...peers.map((row) => row.gzipped));
console.log(
  `\n@switchyard/js: ${kB(ours)} kB gzipped; goal < ${kB(GOAL_BYTES)} kB ${ours < GOAL_BYTES ? 'met' : 'NOT met'}; ` +
    `smallest peer ${kB(smallestPeer)} kB: ${ours < smallestPeer ? 'smaller than every peer' : 'NOT smaller than every peer'}`,
);
