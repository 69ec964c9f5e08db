/**
 * Events: exposures and custom events landing in the server's event store, and compared with
 * statsig-node's. (One file, so the server's modules load once.)
 */
import { Switchyard, type SwitchyardOptions } from '@switchyard/node';
import type { StatsigServer, StatsigUser } from 'statsig-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestProxy } from './support/proxy.js';
import { blockedRequests, loadStatsigNode } from './support/statsig-node-guard.js';
import { KEYS, TestServer, waitFor } from './support/test-server.js';
import { importVectorProject } from './support/vector-project.js';

/**
 * Exposures and custom events reaching a real server's event store: Statsig's event format for
 * gates, configs and layers; deduplication; batches sent when full (gzip) or on flush and
 * shutdown; retries while the server is down; a bounded queue that drops the oldest events.
 */
describe('exposures and events', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  let server: TestServer;
  let proxy: TestProxy;
  const sdks: Switchyard[] = [];

  async function init(options: Partial<SwitchyardOptions> = {}): Promise<Switchyard> {
    const sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: proxy.url,
      // Nothing leaves on a timer in these tests unless a test asks for it.
      eventFlushIntervalMs: 60_000,
      ...options,
    });
    sdks.push(sdk);
    return sdk;
  }

  /** Stored events from id `after` on. */
  async function eventsAfter(after: number) {
    return (await server.app.events.list({ limit: 100_000 })).filter((event) => event.id > after);
  }

  async function lastEventId(): Promise<number> {
    return (await server.app.events.list({ limit: 100_000 })).at(-1)?.id ?? 0;
  }

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    proxy = await TestProxy.start(() => server.url);
    await importVectorProject(server);
    await server.api('POST', '/gates', {
      name: 'exposed',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
  });

  afterAll(async () => {
    await Promise.all(sdks.map((sdk) => sdk.shutdown()));
    await proxy?.close();
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  it('logs gate, config and layer exposures in Statsig format, with secondary exposures', async () => {
    const sdk = await init({ environment: { tier: 'production' } });
    const from = await lastEventId();
    const user = { userID: 'e1', email: 'e1@company.com', privateAttributes: { secret: 'x' } };
    sdk.checkGate(user, 'with_holdout');
    sdk.getConfig(user, 'config_with_gates');
    const layer = sdk.getLayer({ userID: 'layer-user-1' }, 'checkout_layer');
    const parameters = Object.keys(layer.value);
    for (const parameter of parameters) layer.get(parameter, null);
    await sdk.flush();
    const events = await eventsAfter(from);

    const gate = events.find((event) => event.eventName === 'statsig::gate_exposure');
    const expectedGate = sdk.getFeatureGate(user, 'with_holdout', { disableExposureLogging: true });
    expect(gate).toMatchObject({
      userID: 'e1',
      entity: 'with_holdout',
      ruleID: expectedGate.ruleID,
      metadata: {
        gate: 'with_holdout',
        gateValue: String(expectedGate.value),
        ruleID: expectedGate.ruleID,
        reason: 'Network',
      },
    });
    expect(gate?.secondaryExposures).toEqual(expectedGate.secondaryExposures);
    expect(gate?.secondaryExposures?.length).toBeGreaterThan(0);

    const config = events.find((event) => event.eventName === 'statsig::config_exposure');
    const expectedConfig = sdk.getConfig(user, 'config_with_gates', { disableExposureLogging: true });
    expect(config?.metadata).toMatchObject({
      config: 'config_with_gates',
      ruleID: expectedConfig.ruleID,
      rulePassed: String(expectedConfig.rulePassed),
    });

    const layerEvents = events.filter((event) => event.eventName === 'statsig::layer_exposure');
    expect(layerEvents.map((event) => event.metadata.parameterName).sort()).toEqual([...parameters].sort());
    for (const event of layerEvents) {
      const explicit = layer.explicitParameters?.includes(String(event.metadata.parameterName)) ?? false;
      expect(event.metadata).toMatchObject({
        config: 'checkout_layer',
        ruleID: layer.ruleID,
        allocatedExperiment: explicit ? layer.allocatedExperimentName : '',
        isExplicitParameter: String(explicit),
      });
    }
    // Private attributes never leave the process; the environment goes with the user.
    for (const event of events) expect(JSON.stringify(event)).not.toContain('secret');
  });

  it('logs an identical exposure once per window, and a changed one again', async () => {
    const sdk = await init();
    const from = await lastEventId();
    for (let i = 0; i < 25; i++) sdk.checkGate({ userID: 'same-user' }, 'exposed');
    sdk.getFeatureGate({ userID: 'same-user' }, 'exposed');
    sdk.checkGate({ userID: 'same-user', customIDs: { companyID: 'acme' } }, 'exposed');
    sdk.checkGate({ userID: 'other-user' }, 'exposed');
    sdk.checkGate({ userID: 'quiet-user' }, 'exposed', { disableExposureLogging: true });
    await sdk.flush();
    const exposures = (await eventsAfter(from)).filter((event) => event.entity === 'exposed');
    expect(exposures.map((event) => [event.userID, event.unitIDs.companyID ?? null])).toEqual([
      ['same-user', null],
      ['same-user', 'acme'],
      ['other-user', null],
    ]);
    await server.api('POST', '/gates/exposed/disable');
    await waitFor(
      'the kill switch',
      () => sdk.checkGate({ userID: 'same-user' }, 'exposed'),
      (value) => !value,
    );
    await sdk.flush();
    const after = (await eventsAfter(from)).filter((event) => event.entity === 'exposed');
    expect(after.at(-1)?.ruleID).toBe('disabled');
    await server.api('POST', '/gates/exposed/enable');
  });

  it('sends a full batch at once, gzipped, and the rest on shutdown', async () => {
    const sdk = await init({ eventBatchSize: 4 });
    const from = await lastEventId();
    const postsBefore = proxy.seen('/v1/log_event').length;
    for (let i = 0; i < 4; i++)
      sdk.logEvent({ userID: `buyer-${i}` }, 'purchase', 10 + i, { currency: 'EUR', items: i });
    await waitFor(
      'the full batch to land',
      () => eventsAfter(from),
      (events) => events.length === 4,
    );
    const post = proxy.seen('/v1/log_event').at(-1);
    expect(proxy.seen('/v1/log_event').length).toBe(postsBefore + 1);
    expect(post?.headers).toMatchObject({ 'content-encoding': 'gzip', 'statsig-event-count': '4' });
    expect(post?.headers.authorization).toBe(`Bearer ${KEYS.server}`);

    sdk.logEvent({ userID: 'buyer-9' }, 'refund', 'full', { reason: 'late' });
    sdk.logEvent(null, 'anonymous_visit');
    expect(sdk.stats().queuedEvents).toBe(2);
    await sdk.shutdown();
    const events = await eventsAfter(from);
    expect(events.map((event) => [event.eventName, event.userID, event.value])).toEqual([
      ['purchase', 'buyer-0', '10'],
      ['purchase', 'buyer-1', '11'],
      ['purchase', 'buyer-2', '12'],
      ['purchase', 'buyer-3', '13'],
      ['refund', 'buyer-9', 'full'],
      ['anonymous_visit', null, null],
    ]);
    expect(events[0]?.metadata).toEqual({ currency: 'EUR', items: 0 });
    expect(sdk.stats()).toMatchObject({ queuedEvents: 0, sentEvents: 6, droppedEvents: 0 });
    // After shutdown nothing is queued, and nothing throws.
    sdk.logEvent({ userID: 'late' }, 'too_late');
    expect(sdk.checkGate({ userID: 'late' }, 'exposed')).toBe(true);
    expect(sdk.stats().queuedEvents).toBe(0);
  });

  it('retries a failed post with backoff until the server is back', async () => {
    const errors: string[] = [];
    const sdk = await init({
      eventRetryDelayMs: { minMs: 20, maxMs: 100 },
      eventRetryLimit: 50,
      reconnectDelayMs: { minMs: 20, maxMs: 100 },
      onError: (error) => errors.push(error.code),
    });
    const from = await lastEventId();
    await server.stop();
    sdk.logEvent({ userID: 'patient' }, 'waited');
    await sdk.flush();
    expect(sdk.stats()).toMatchObject({ queuedEvents: 1, sentEvents: 0 });
    expect(sdk.stats().failedPosts).toBeGreaterThanOrEqual(1);
    await server.restart();
    await waitFor(
      'the retried batch',
      () => eventsAfter(from),
      (events) => events.length === 1,
    );
    // The server stores the batch before the SDK reads its answer.
    await waitFor(
      'the SDK to count it sent',
      () => sdk.stats().sentEvents,
      (sent) => sent === 1,
    );
    expect(sdk.stats()).toMatchObject({ queuedEvents: 0, sentEvents: 1, droppedEvents: 0 });
    expect(errors).toContain('network');
  });

  it('keeps at most maxQueuedEvents while the server is unreachable, dropping the oldest', async () => {
    const dropped: string[] = [];
    const sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: 'http://127.0.0.1:9',
      initTimeoutMs: 500,
      maxQueuedEvents: 5,
      eventBatchSize: 100,
      eventFlushIntervalMs: 60_000,
      onError: (error) => {
        if (error.code === 'events_dropped') dropped.push(error.message);
      },
    });
    sdks.push(sdk);
    for (let i = 0; i < 20; i++) sdk.logEvent({ userID: `u-${i}` }, 'queued');
    expect(sdk.stats()).toMatchObject({ queuedEvents: 5, droppedEvents: 15 });
    await sdk.shutdown();
    // The last five could not be sent at shutdown either: dropped and counted, without waiting.
    expect(sdk.stats()).toMatchObject({ queuedEvents: 0, droppedEvents: 20, sentEvents: 0 });
    expect(dropped.length).toBeGreaterThan(0);
  });

  it('raised no unhandled rejections', () => {
    expect(unhandled).toEqual([]);
  });
});

/**
 * Our exposures mirror statsig-node 6.5.2's: both SDKs, pointed at the same server, evaluate
 * every gate, config, experiment and layer case of the conformance vectors (holdouts, segments,
 * nested gates, layer delegation) for the vectors' users, reading every layer parameter; the
 * events each stores must be the same set (event name, user, metadata without the timing and
 * reason fields, secondary exposures).
 */
describe('exposures compared with statsig-node 6.5.2', () => {
  /** Metadata that differs by design between two SDK instances (clocks) or by naming. */
  const VARYING = new Set(['reason', 'configSyncTime', 'initTime', 'serverTime']);

  let server: TestServer;
  let statsig: StatsigServer;
  let ours: Switchyard;
  let cases: Awaited<ReturnType<typeof importVectorProject>>;

  type StoredEvent = Awaited<ReturnType<TestServer['app']['events']['list']>>[number];

  function normalise(event: StoredEvent): string {
    const metadata = Object.fromEntries(
      Object.entries(event.metadata)
        .filter(([key]) => !VARYING.has(key))
        .sort(([a], [b]) => a.localeCompare(b)),
    );
    const exposures = (event.secondaryExposures ?? []).map((exposure) => JSON.stringify(exposure)).sort();
    return JSON.stringify([event.eventName, event.userID, event.unitIDs, metadata, exposures]);
  }

  /** Exposures stored with ids in (from, to]. */
  async function exposuresBetween(from: number, to = Number.POSITIVE_INFINITY): Promise<string[]> {
    return (await server.app.events.list({ limit: 100_000 }))
      .filter((event) => event.id > from && event.id <= to && event.eventName.endsWith('_exposure'))
      .map(normalise)
      .sort();
  }

  async function lastId(): Promise<number> {
    return (await server.app.events.list({ limit: 100_000 })).at(-1)?.id ?? 0;
  }

  beforeAll(async () => {
    server = await TestServer.start();
    cases = await importVectorProject(server);
    const { StatsigServer } = loadStatsigNode();
    statsig = new StatsigServer(KEYS.server, {
      api: `${server.url}/v1`,
      logger: { logLevel: 'none', warn: () => {}, error: () => {} },
    });
    await statsig.initializeAsync();
    ours = await Switchyard.init({ serverKey: KEYS.server, url: server.url });
  });

  afterAll(async () => {
    await statsig?.shutdownAsync();
    await ours?.shutdown();
    await server?.remove();
  });

  it('logs the same exposures for every vector case', async () => {
    expect(cases.length).toBeGreaterThan(50);
    const start = await lastId();
    for (const testCase of cases) {
      const user = testCase.user as StatsigUser;
      const { kind, name } = testCase.entity;
      if (kind === 'gate') statsig.checkGate(user, name);
      else if (kind === 'config') statsig.getConfig(user, name);
      else if (kind === 'experiment') statsig.getExperiment(user, name);
      else {
        const layer = statsig.getLayer(user, name);
        for (const key of Object.keys(ours.getLayer(user, name, { disableExposureLogging: true }).value)) {
          layer.get(key, null);
        }
      }
    }
    await statsig.flush();
    const middle = await lastId();
    for (const testCase of cases) {
      const user = testCase.user;
      const { kind, name } = testCase.entity;
      if (kind === 'gate') ours.checkGate(user, name);
      else if (kind === 'config') ours.getConfig(user, name);
      else if (kind === 'experiment') ours.getExperiment(user, name);
      else {
        const layer = ours.getLayer(user, name);
        for (const key of Object.keys(layer.value)) layer.get(key, null);
      }
    }
    await ours.flush();
    const statsigEvents = await exposuresBetween(start, middle);
    const ourEvents = await exposuresBetween(middle);
    expect(statsigEvents.length).toBeGreaterThan(50);
    expect(ourEvents).toEqual(statsigEvents);
    expect(blockedRequests).toEqual([]);
  });
});
