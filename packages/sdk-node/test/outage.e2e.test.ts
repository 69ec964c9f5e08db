/**
 * Server outages: the SDK keeps serving its last configuration while the server is down, keeps
 * its cache file current, reconnects when the server is back on the same port and database and
 * catches up with a change made while it was away; new SDKs start from the cache file or the
 * bootstrap while the server is down, and init never waits past its timeout.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { type ConfigChange, Switchyard } from '@switchyard/node';
import { type RunningServer, startServer } from '@switchyard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, KEYS, TestServer, waitFor } from './support/test-server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Fast reconnects and polls, so the test waits milliseconds rather than seconds. */
const FAST = {
  reconnectDelayMs: { minMs: 20, maxMs: 200 },
  pollIntervalMs: 100,
  requestTimeoutMs: 2_000,
} as const;

let server: TestServer;
let cacheFile: string;
const started: Switchyard[] = [];

async function init(options: Partial<Parameters<typeof Switchyard.init>[0]> = {}): Promise<Switchyard> {
  const sdk = await Switchyard.init({ serverKey: KEYS.server, url: server.url, ...FAST, ...options });
  started.push(sdk);
  return sdk;
}

const everyone = { userID: 'u-1' };

describe('server outages', () => {
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    cacheFile = join(server.directory, 'sdk-cache.json');
    await server.api('POST', '/gates', {
      name: 'outage_gate',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
    await server.api('PUT', '/id_lists/vips', 'vip-1\nvip-2\n', 'text/plain');
    await server.api('POST', '/gates', {
      name: 'vip_gate',
      rules: [
        { name: 'vips', conditions: [{ type: 'unit_id', operator: 'in_segment_list', value: 'vips' }] },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(started.map((sdk) => sdk.shutdown()));
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  let live: Switchyard;
  const liveChanges: ConfigChange[] = [];

  it('writes the cache file with each configuration', async () => {
    live = await init({ cacheFile });
    live.onConfigChange((change) => liveChanges.push(change));
    expect(live.initDetails.source).toBe('network');
    expect(live.checkGate({ userID: 'vip-1' }, 'vip_gate')).toBe(true);
    const cached = await waitFor(
      'the cache file',
      async () => JSON.parse(await readFile(cacheFile, 'utf8').catch(() => '{}')) as Record<string, unknown>,
      (file) =>
        file.revision === live.stats().revision && Object.keys((file.idLists as object) ?? {}).length === 1,
    );
    expect(
      (cached.specs as { feature_gates: { name: string }[] }).feature_gates.map((spec) => spec.name).sort(),
    ).toEqual(['outage_gate', 'vip_gate']);
  });

  it('keeps serving the last configuration while the server is down', async () => {
    await server.stop();
    await waitFor(
      'the SDK to notice',
      () => live.stats().mode,
      (mode) => mode !== 'streaming',
    );
    for (let i = 0; i < 20; i++) {
      expect(live.checkGate({ userID: `u-${i}` }, 'outage_gate')).toBe(true);
    }
    expect(live.checkGate({ userID: 'vip-2' }, 'vip_gate')).toBe(true);
    expect(live.getFeatureGate(everyone, 'outage_gate').evaluationDetails.reason).toBe('Network');
    // With the stream refused twice the SDK polls too; both keep failing without harm.
    await waitFor(
      'polling',
      () => live.stats().mode,
      (mode) => mode === 'polling',
    );
    expect(live.stats().lastError).toBeDefined();
  });

  it('starts from the cache file while the server is down, and reports why', async () => {
    const errors: string[] = [];
    const cold = await init({ cacheFile, onError: (error) => errors.push(error.code) });
    expect(cold.initDetails.source).toBe('cache');
    expect(cold.initDetails.error?.code).toBe('network');
    expect(errors).toContain('network');
    expect(cold.checkGate(everyone, 'outage_gate')).toBe(true);
    // ID lists come back from the cache too.
    expect(cold.checkGate({ userID: 'vip-1' }, 'vip_gate')).toBe(true);
    expect(cold.getFeatureGate(everyone, 'outage_gate').evaluationDetails.reason).toBe('Cache');
  });

  it('starts from the bootstrap (or the newer cache) while the server is down', async () => {
    const bootstrap = {
      time: 1,
      feature_gates: [
        {
          name: 'boot_gate',
          salt: 's',
          enabled: true,
          defaultValue: false,
          rules: [{ id: 'r', passPercentage: 100, conditions: [{ type: 'public' }], returnValue: true }],
        },
      ],
      dynamic_configs: [],
      layer_configs: [],
    };
    const fromBootstrap = await init({ bootstrap: JSON.stringify(bootstrap) });
    expect(fromBootstrap.initDetails).toMatchObject({ source: 'bootstrap', error: { code: 'network' } });
    expect(fromBootstrap.checkGate(everyone, 'boot_gate')).toBe(true);
    expect(fromBootstrap.getFeatureGate(everyone, 'boot_gate').evaluationDetails.reason).toBe('Bootstrap');

    // The cache holds a newer configuration (its time is the server's), so it wins.
    const both = await init({ bootstrap, cacheFile });
    expect(both.initDetails.source).toBe('cache');

    const nothing = await init();
    expect(nothing.initDetails.source).toBe('none');
    expect(nothing.checkGate(everyone, 'outage_gate')).toBe(false);
    expect(nothing.getFeatureGate(everyone, 'outage_gate').evaluationDetails.reason).toBe('Uninitialized');
  });

  it('reconnects when the server is back and catches up with a change made while it was away', async () => {
    // Another instance on the same database changes the gate while our port is down.
    let other: RunningServer | undefined;
    try {
      other = await startServer(
        { port: 0, host: '127.0.0.1', databaseUrl: server.databaseUrl, initKeys: {}, logLevel: 'warn' },
        false,
      );
      await callApi(other.url, 'POST', '/gates/outage_gate/disable');
    } finally {
      await other?.close();
    }
    const reconnectsBefore = live.stats().reconnects;
    await server.restart();
    await waitFor(
      'the change made while away',
      () => live.checkGate(everyone, 'outage_gate'),
      (value) => !value,
    );
    await waitFor(
      'streaming again',
      () => live.stats().mode,
      (mode) => mode === 'streaming',
    );
    expect(live.stats().reconnects).toBe(reconnectsBefore);
    expect(live.getFeatureGate(everyone, 'outage_gate')).toMatchObject({
      ruleID: 'disabled',
      evaluationDetails: { reason: 'Network' },
    });
    expect(liveChanges.at(-1)?.changed.gates).toEqual(['outage_gate']);
    // The cache file follows.
    await waitFor(
      'the cache file to hold the change',
      async () =>
        JSON.parse(await readFile(cacheFile, 'utf8')) as {
          specs: { feature_gates: { name: string; enabled: boolean }[] };
        },
      (file) => file.specs.feature_gates.find((spec) => spec.name === 'outage_gate')?.enabled === false,
    );
  });

  it('moves SDKs that started from cache or bootstrap to the network when the server is back', async () => {
    const fromCache = started[1] as Switchyard;
    await waitFor(
      'the cache-started SDK on the network',
      () => fromCache.stats().source,
      (source) => source === 'network',
    );
    expect(fromCache.checkGate(everyone, 'outage_gate')).toBe(false);
    const fromNothing = started.at(-1) as Switchyard;
    await waitFor(
      'the empty SDK on the network',
      () => fromNothing.stats().source,
      (source) => source === 'network',
    );
    // Its ID lists follow the configuration.
    await waitFor('the ID list', () => fromNothing.checkGate({ userID: 'vip-2' }, 'vip_gate'));
  });

  it('gives up waiting after initTimeoutMs when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const address = blackHole.address() as { port: number };
    try {
      const sdk = await init({
        url: `http://127.0.0.1:${address.port}`,
        initTimeoutMs: 300,
        bootstrap: { feature_gates: [], dynamic_configs: [], layer_configs: [] },
      });
      expect(sdk.initDetails).toMatchObject({ source: 'bootstrap', error: { code: 'timeout' } });
      await sdk.shutdown();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  it('raised no unhandled rejections', () => {
    expect(unhandled).toEqual([]);
  });
});
