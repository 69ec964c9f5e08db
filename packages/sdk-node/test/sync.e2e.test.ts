/**
 * Following the server: live updates over the stream, ID lists, and the polling fallback.
 * (One file, so the server's modules load once.)
 */
import { type ConfigChange, Switchyard } from '@switchyard/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestProxy } from './support/proxy.js';
import { KEYS, TestServer, waitFor } from './support/test-server.js';

/**
 * The SDK against a real server: it starts from the network, follows `/v1/stream`, sees gate
 * and config changes made through the authoring API without reconnecting, reports its
 * revision through `/v1/sdk_status`, and tells listeners what changed.
 */
describe('live updates over /v1/stream', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  let server: TestServer;
  let sdk: Switchyard;
  const changes: ConfigChange[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    await server.api('POST', '/gates', {
      name: 'new_checkout',
      rules: [
        {
          name: 'employees',
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
        },
      ],
    });
    await server.api('POST', '/configs', {
      name: 'checkout',
      defaultValue: { max_items: 10, color: 'blue' },
      rules: [
        {
          name: 'germany',
          conditions: [{ field: 'country', operator: 'any', value: ['DE'] }],
          value: { max_items: 5, color: 'green' },
        },
      ],
    });
    sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: server.url,
      onError: (error) => errors.push(`${error.code}: ${error.message}`),
    });
    sdk.onConfigChange((change) => changes.push(change));
  });

  afterAll(async () => {
    await sdk?.shutdown();
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  it('starts from the network and evaluates locally', () => {
    expect(sdk.initDetails).toMatchObject({ source: 'network' });
    expect(sdk.initDetails.error).toBeUndefined();
    expect(sdk.stats()).toMatchObject({
      mode: 'streaming',
      source: 'network',
      revision: sdk.initDetails.revision,
    });

    expect(sdk.checkGate({ userID: 'ana', email: 'ana@company.com' }, 'new_checkout')).toBe(true);
    expect(sdk.checkGate({ userID: 'bob', email: 'bob@example.com' }, 'new_checkout')).toBe(false);
    const gate = sdk.getFeatureGate({ userID: 'ana', email: 'ana@company.com' }, 'new_checkout');
    expect(gate).toMatchObject({ name: 'new_checkout', value: true, idType: 'userID' });
    expect(gate.ruleID).toMatch(/^[0-9a-f-]{36}$/);
    expect(gate.evaluationDetails).toMatchObject({ reason: 'Network', revision: sdk.initDetails.revision });

    const config = sdk.getConfig({ userID: 'carl', country: 'DE' }, 'checkout');
    expect(config.value).toEqual({ max_items: 5, color: 'green' });
    expect(config.get('max_items', 0)).toBe(5);
    expect(config.get('max_items', 'wrong type')).toBe('wrong type');
    expect(config.get('missing', 'fallback')).toBe('fallback');
    expect(sdk.getConfig({ userID: 'dora', country: 'FR' }, 'checkout')).toMatchObject({
      value: { max_items: 10, color: 'blue' },
      ruleID: 'default',
      rulePassed: false,
    });
    expect(sdk.getFeatureGate({ userID: 'x' }, 'no_such_gate').evaluationDetails.reason).toBe('Unrecognized');
  });

  it('sees a kill switch and a new gate through the stream, without reconnecting', async () => {
    const employee = { userID: 'ana', email: 'ana@company.com' };
    const before = sdk.stats().revision ?? 0;
    await server.api('POST', '/gates/new_checkout/disable');
    await waitFor(
      'the kill switch',
      () => sdk.checkGate(employee, 'new_checkout'),
      (value) => value === false,
    );
    expect(sdk.getFeatureGate(employee, 'new_checkout').ruleID).toBe('disabled');

    await server.api('POST', '/gates/new_checkout/enable');
    await waitFor('the gate back on', () => sdk.checkGate(employee, 'new_checkout'));

    await server.api('POST', '/gates', {
      name: 'brand_new',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
    await waitFor('the new gate', () => sdk.checkGate({ userID: 'anyone' }, 'brand_new'));

    const stats = sdk.stats();
    expect(stats).toMatchObject({ mode: 'streaming', reconnects: 0, source: 'network' });
    expect(stats.revision).toBeGreaterThanOrEqual(before + 3);
    // Listeners hear of every update with the names that changed.
    expect(changes.map((change) => change.changed.gates)).toEqual([
      ['new_checkout'],
      ['new_checkout'],
      ['brand_new'],
    ]);
    expect(changes.every((change) => change.source === 'network' && change.revision !== null)).toBe(true);
  });

  it('sees a config change through the stream', async () => {
    const user = { userID: 'carl', country: 'DE' };
    const config = (await server.api('GET', '/configs/checkout')) as {
      rules: { id: string; name: string }[];
    };
    await server.api('PATCH', '/configs/checkout', {
      rules: [
        {
          id: config.rules[0]?.id,
          name: 'germany',
          conditions: [{ field: 'country', operator: 'any', value: ['DE'] }],
          value: { max_items: 7, color: 'green' },
        },
      ],
    });
    await waitFor(
      'the new value',
      () => sdk.getConfig(user, 'checkout').get('max_items', 0),
      (value) => value === 7,
    );
    expect(changes.at(-1)?.changed).toEqual({ gates: [], configs: ['checkout'], layers: [] });
  });

  it('reports the revision it holds through /v1/sdk_status', async () => {
    const spread = await waitFor(
      'the SDK instance at the current revision',
      async () =>
        (await server.api('GET', '/sdk-instances')) as {
          revision: number;
          atCurrentRevision: number;
          bySdk: { sdkType: string; sdkVersion: string; instances: number }[];
        },
      (body) => body.atCurrentRevision === 1,
    );
    expect(spread.revision).toBe(sdk.stats().revision);
    expect(spread.bySdk).toEqual([{ sdkType: 'switchyard-node', sdkVersion: '0.1.0', instances: 1 }]);
  });

  it('raised no errors and no unhandled rejections', () => {
    expect(errors).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

/**
 * What `/v1/sdk_status` carries: reports go out up to a second after an update (spread on
 * purpose), so each says how long the instance has served the revision (`heldForMs`, monotonic
 * clock), from which the server dates the apply. A reconnect that finds the revision unchanged
 * reports it again, still counted from when it was applied, not from the reconnect.
 */
describe('sdk_status reports', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  let server: TestServer;
  let proxy: TestProxy;
  let sdk: Switchyard;
  let started = 0;
  const errors: string[] = [];

  interface StatusBody {
    instanceId: string;
    revision: number;
    sdkType: string;
    sdkVersion: string;
    heldForMs: number;
    appliedAt: number;
  }
  /** Complete sdk_status bodies, with when each arrived at the proxy. */
  const reports = () =>
    proxy
      .seen('/v1/sdk_status')
      .filter((seen) => seen.bodyDone)
      .map((seen) => ({ ...(JSON.parse(seen.body.toString('utf8')) as StatusBody), at: seen.at }));

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    proxy = await TestProxy.start(() => server.url);
    await server.api('POST', '/gates', {
      name: 'reported',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
    started = performance.now();
    sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: proxy.url,
      onError: (error) => errors.push(error.message),
    });
  });

  afterAll(async () => {
    await sdk?.shutdown();
    await proxy?.close();
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  it('says how long the revision has been served, counted from when it was applied', async () => {
    const [first] = await waitFor('the first report', reports, (list) => list.length === 1);
    const { at, ...body } = first ?? { at: 0 };
    expect(body).toEqual({
      instanceId: sdk.instanceId,
      revision: sdk.stats().revision,
      sdkType: 'switchyard-node',
      sdkVersion: '0.1.0',
      heldForMs: expect.any(Number),
      appliedAt: expect.any(Number),
    });
    expect(Number.isInteger(first?.heldForMs)).toBe(true);
    expect(first?.heldForMs).toBeGreaterThanOrEqual(0);
    expect(first?.heldForMs).toBeLessThanOrEqual(Math.ceil(at - started));

    let appliedAt = 0;
    let appliedAtWall = 0;
    const stop = sdk.onConfigChange(() => {
      appliedAt = performance.now();
      appliedAtWall = Date.now();
    });
    const changeSent = performance.now();
    await server.api('POST', '/gates/reported/disable');
    const second = (
      await waitFor('a report of the new revision', reports, (list) =>
        list.some((report) => report.revision > (first?.revision ?? 0)),
      )
    ).at(-1);
    stop();
    expect(appliedAt).toBeGreaterThan(changeSent);
    expect(second?.revision).toBe(sdk.stats().revision);
    expect(Number.isInteger(second?.heldForMs)).toBe(true);
    // Applied after the change was sent; reported no sooner than 200 ms after the apply.
    const arrived = second?.at ?? 0;
    expect(second?.heldForMs).toBeLessThanOrEqual(Math.ceil(arrived - changeSent));
    expect(second?.heldForMs).toBeGreaterThanOrEqual(150);
    // The same moment by the host's wall clock, for the server to use when it agrees with heldForMs.
    expect(Math.abs((second?.appliedAt ?? 0) - appliedAtWall)).toBeLessThanOrEqual(100);
  });

  it('counts a revision found again on reconnect from its apply, not from the reconnect', async () => {
    const revision = sdk.stats().revision;
    const before = reports().length;
    // Served for at least 600 ms before the stream drops.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const dropped = performance.now();
    proxy.dropConnections();
    const report = (
      await waitFor('a report after the reconnect', reports, (list) => list.length > before)
    ).at(-1);
    expect(report?.revision).toBe(revision);
    // Counted from the reconnect it would be below `arrived - dropped`; from the apply it is
    // at least 600 ms more, less the report's way to the proxy (300 ms allowed).
    const arrived = report?.at ?? 0;
    expect(report?.heldForMs).toBeGreaterThanOrEqual(Math.floor(arrived - dropped) + 300);
    expect(sdk.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(errors.filter((message) => !message.includes('stream'))).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

/**
 * ID lists as statsig-node syncs them: a gate with `in_segment_list` after a full upload
 * (PUT, read whole), an incremental add and remove (only the new bytes, with Range), a
 * replacement (new file: the SDK starts over) and a deletion; each change reaches the SDK
 * through the stream's revision bump, without waiting for the periodic sync.
 */
describe('ID lists', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  let server: TestServer;
  let proxy: TestProxy;
  let sdk: Switchyard;
  const errors: string[] = [];
  const MEMBERS = Array.from({ length: 200 }, (_, i) => `member-${i}`);

  const inList = (userID: string) => sdk.checkGate({ userID }, 'beta_access');
  const fileFetches = () => proxy.seen('/v1/id_list_files/');

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    proxy = await TestProxy.start(() => server.url);
    await server.api('PUT', '/id_lists/beta_users', `${MEMBERS.join('\n')}\n`, 'text/plain');
    await server.api('POST', '/gates', {
      name: 'beta_access',
      rules: [
        {
          name: 'listed',
          conditions: [{ type: 'unit_id', operator: 'in_segment_list', value: 'beta_users' }],
        },
      ],
    });
    sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: proxy.url,
      // Far away: every sync below must come from a configuration change.
      idListSyncIntervalMs: 3_600_000,
      onError: (error) => errors.push(error.message),
    });
  });

  afterAll(async () => {
    await sdk?.shutdown();
    await proxy?.close();
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  it('reads the whole list at start', () => {
    expect(sdk.initDetails.source).toBe('network');
    expect(MEMBERS.every(inList)).toBe(true);
    expect(inList('stranger')).toBe(false);
    expect(sdk.stats().idLists).toBe(1);
    expect(fileFetches().map((fetch) => fetch.headers.range)).toEqual(['bytes=0-']);
    // The list file is authorised by its URL; the server key is not sent to it.
    expect(fileFetches()[0]?.headers.authorization).toBeUndefined();
  });

  it('follows an incremental add and remove, fetching only the new bytes', async () => {
    const before = fileFetches().length;
    await server.api('POST', '/id_lists/beta_users/add', { ids: ['newcomer-1', 'newcomer-2'] });
    await waitFor('the added members', () => inList('newcomer-1') && inList('newcomer-2'));
    const fetch = fileFetches()[before];
    // 200 lines of `+xxxxxxxx\n` were read before: the next download starts at byte 2000.
    expect(fetch?.headers.range).toBe(`bytes=${MEMBERS.length * 10}-`);
    expect(fetch?.status).toBe(206);

    await server.api('POST', '/id_lists/beta_users/remove', { ids: ['member-0'] });
    await waitFor('the removed member', () => !inList('member-0'));
    expect(inList('member-1')).toBe(true);
    expect(fileFetches().at(-1)?.headers.range).toBe(`bytes=${(MEMBERS.length + 2) * 10}-`);
  });

  it('starts over when the list is replaced', async () => {
    await server.api('PUT', '/id_lists/beta_users', 'replacement-1\nreplacement-2\n', 'text/plain');
    await waitFor(
      'the replacement',
      () => inList('replacement-1') && !inList('member-5') && !inList('newcomer-1'),
    );
    expect(fileFetches().at(-1)?.headers.range).toBe('bytes=0-');
  });

  it('empties a deleted list', async () => {
    await server.api('DELETE', '/id_lists/beta_users');
    await waitFor('the deletion', () => !inList('replacement-1'));
    expect(errors).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

/**
 * Streaming unavailable: behind a proxy that answers `/v1/stream` with 404 (a server or
 * gateway without streaming), the SDK polls download_config_specs with `sinceTime` and still
 * sees changes; when the stream comes back it switches to it and stops polling. A dropped
 * stream resumes with Last-Event-ID.
 */
describe('polling fallback', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  let server: TestServer;
  let proxy: TestProxy;
  const sdks: Switchyard[] = [];
  const user = { userID: 'u-1' };

  const dcsPath = `/v1/download_config_specs/${KEYS.server}.json`;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await TestServer.start();
    proxy = await TestProxy.start(() => server.url);
    await server.api('POST', '/gates', {
      name: 'polled',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
  });

  afterAll(async () => {
    await Promise.all(sdks.map((sdk) => sdk.shutdown()));
    await proxy?.close();
    await server?.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  let sdk: Switchyard;

  it('starts by downloading when the stream answers 404, then keeps polling', async () => {
    proxy.blockStream = true;
    const errors: string[] = [];
    sdk = await Switchyard.init({
      serverKey: KEYS.server,
      url: proxy.url,
      pollIntervalMs: 50,
      reconnectDelayMs: { minMs: 50, maxMs: 200 },
      onError: (error) => errors.push(error.message),
    });
    sdks.push(sdk);
    expect(sdk.initDetails).toMatchObject({ source: 'network' });
    expect(sdk.initDetails.error).toBeUndefined();
    expect(sdk.checkGate(user, 'polled')).toBe(true);
    expect(sdk.stats().mode).toBe('polling');
    expect(errors.some((message) => message.includes('404'))).toBe(true);

    await server.api('POST', '/gates/polled/disable');
    await waitFor(
      'the change through polling',
      () => sdk.checkGate(user, 'polled'),
      (value) => !value,
    );
    // Polls after the first ask only for what changed since the time held.
    const polls = proxy.seen(dcsPath);
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.slice(1).every((poll) => /\?sinceTime=\d+$/.test(poll.path))).toBe(true);
    expect(polls.at(-1)?.headers['accept-encoding']).toContain('gzip');
    expect(sdk.stats().revision).toBeNull();
  });

  it('switches back to the stream when it is available again, and stops polling', async () => {
    proxy.blockStream = false;
    await waitFor(
      'streaming',
      () => sdk.stats().mode,
      (mode) => mode === 'streaming',
    );
    const pollsThen = proxy.seen(dcsPath).length;
    await server.api('POST', '/gates/polled/enable');
    await waitFor('the change through the stream', () => sdk.checkGate(user, 'polled'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(proxy.seen(dcsPath).length).toBe(pollsThen);
    expect(sdk.stats().revision).toBeGreaterThan(0);
  });

  it('resumes a dropped stream with Last-Event-ID and applies later deltas', async () => {
    const revision = sdk.stats().revision;
    const streamsBefore = proxy.seen('/v1/stream').length;
    proxy.dropConnections();
    await waitFor(
      'a new stream',
      () => proxy.seen('/v1/stream').length,
      (count) => count > streamsBefore,
    );
    const resumed = proxy.seen('/v1/stream').at(-1);
    expect(resumed?.headers['last-event-id']).toBe(String(revision));
    await waitFor(
      'streaming',
      () => sdk.stats().mode,
      (mode) => mode === 'streaming',
    );
    await server.api('POST', '/gates/polled/disable');
    await waitFor(
      'the delta after resuming',
      () => sdk.checkGate(user, 'polled'),
      (value) => !value,
    );
    expect(sdk.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('polls only, when told not to stream', async () => {
    const polling = await Switchyard.init({
      serverKey: KEYS.server,
      url: proxy.url,
      streaming: false,
      pollIntervalMs: 50,
    });
    sdks.push(polling);
    const streamsBefore = proxy.seen('/v1/stream').length;
    expect(polling.stats().mode).toBe('polling');
    expect(polling.checkGate(user, 'polled')).toBe(false);
    await server.api('POST', '/gates/polled/enable');
    await waitFor('the change through polling', () => polling.checkGate(user, 'polled'));
    expect(proxy.seen('/v1/stream').length).toBe(streamsBefore);
  });

  it('raised no unhandled rejections', () => {
    expect(unhandled).toEqual([]);
  });
});
