/**
 * The client in Node 20 (global fetch; localStorage and EventSource from test/support) against
 * a real in-process server: values, cache, bootstrap, live updates, failure handling, and
 * exposures as the server stores them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type InitializeResponse, SwitchyardClient, type SwitchyardOptions } from '../src/index.js';
import { installBrowserGlobals, type MemoryStorage, NodeEventSource } from './support/browser-globals.js';
import { CLIENT_KEY, startTestServer, type TestServer } from './support/switchyard-server.js';

let storage: MemoryStorage;
let server: TestServer;
const clients: SwitchyardClient[] = [];

const STAFF = { userID: 'sam', email: 'sam@company.com', privateAttributes: { secret: 's3cret' } };
const GUEST = { userID: 'gus', email: 'gus@example.com' };

beforeAll(async () => {
  storage = installBrowserGlobals();
  server = await startTestServer();
  await server.authoring('POST', '/gates', {
    name: 'staff_only',
    rules: [
      {
        name: 'staff',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
      },
    ],
  });
  await server.authoring('POST', '/gates', {
    name: 'everyone',
    rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
  });
  await server.authoring('POST', '/gates', {
    name: 'staff_beta',
    rules: [{ name: 'via_staff', conditions: [{ type: 'pass_gate', value: 'staff_only' }] }],
  });
  await server.authoring('POST', '/configs', {
    name: 'pricing',
    defaultValue: { price: 10, currency: 'USD' },
    rules: [
      {
        name: 'staff',
        conditions: [{ type: 'pass_gate', value: 'staff_only' }],
        value: { price: 0, currency: 'USD' },
      },
    ],
  });
  await server.authoring('POST', '/layers', {
    name: 'checkout',
    defaultValue: { button: 'grey', headline: 'Welcome' },
  });
  await server.authoring('POST', '/experiments', {
    name: 'button_test',
    layer: 'checkout',
    allocationPercent: 100,
    groups: [
      { name: 'Control', weight: 50, parameters: { button: 'blue' } },
      { name: 'Test', weight: 50, parameters: { button: 'green' } },
    ],
  });
  await server.authoring('POST', '/experiments/button_test/start');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.shutdown()));
  await server.close();
});

beforeEach(() => {
  storage.clear();
});

/** A client for the test server; shut down after the file. */
function client(options: SwitchyardOptions = {}): SwitchyardClient {
  const created = new SwitchyardClient(CLIENT_KEY, {
    api: server.api,
    stream: false,
    flushIntervalMs: 60_000,
    onError: () => {},
    ...options,
  });
  clients.push(created);
  return created;
}

async function until<T>(
  read: () => T | Promise<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A local HTTP server answering every request with `handler` (not Switchyard: a broken peer). */
async function fakeServer(
  handler: (body: string, count: number) => { status: number; body: string },
): Promise<{ api: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const http: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      const answer = handler(body, bodies.length);
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    api: `http://127.0.0.1:${port}/v1`,
    bodies,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

describe('initialize', () => {
  it("serves exactly the server's values for the user, through the getters", async () => {
    const sdk = client({ stableID: 'device-1' });
    await sdk.initialize(STAFF);
    expect(sdk.details.source).toBe('Network');
    expect(sdk.getValues()).toEqual(await server.initialize(STAFF, 'device-1'));

    expect(sdk.checkGate('staff_only')).toBe(true);
    expect(sdk.getGate('staff_beta')).toMatchObject({
      value: true,
      reason: 'Network',
      secondaryExposures: [{ gate: 'staff_only', gateValue: 'true', ruleID: expect.any(String) }],
    });
    expect(sdk.getConfig('pricing').get('price', 99)).toBe(0);
    const experiment = sdk.getExperiment('button_test');
    expect(experiment.groupName).toMatch(/^(Control|Test)$/);
    expect(experiment.isUserInExperiment).toBe(true);
    const layer = sdk.getLayer('checkout');
    expect(layer.allocatedExperimentName).toBe('button_test');
    expect(layer.get('button', 'grey')).toBe(experiment.groupName === 'Control' ? 'blue' : 'green');
    expect(layer.get('headline', '')).toBe('Welcome');

    await sdk.updateUser(GUEST);
    expect(sdk.checkGate('staff_only')).toBe(false);
    expect(sdk.getConfig('pricing').value).toEqual({ price: 10, currency: 'USD' });
    expect(sdk.getValues()).toEqual(await server.initialize(GUEST, 'device-1'));
  });

  it('keeps the last user when users change while a request is out', async () => {
    const sdk = client();
    const first = sdk.initialize(STAFF);
    const second = sdk.updateUser(GUEST);
    await Promise.all([first, second]);
    expect(sdk.getValues()?.user).toMatchObject({ userID: 'gus' });
    expect(sdk.checkGate('staff_only')).toBe(false);
  });

  it('reports unknown names as Unrecognized with defaults', async () => {
    const sdk = client();
    await sdk.initialize(GUEST);
    expect(sdk.getGate('nope')).toMatchObject({ value: false, reason: 'Unrecognized', ruleID: '' });
    expect(sdk.getExperiment('nope')).toMatchObject({ value: {}, groupName: null, reason: 'Unrecognized' });
    expect(sdk.getLayer('nope').get('x', 3)).toBe(3);
  });

  it('applies the environment option to every user', async () => {
    await server.authoring('POST', '/gates', {
      name: 'staging_tier',
      rules: [
        {
          name: 'staging',
          conditions: [{ type: 'environment_field', field: 'tier', operator: 'any', value: ['staging'] }],
        },
      ],
    });
    const staging = client({ environment: { tier: 'staging' } });
    await staging.initialize(GUEST);
    expect(staging.checkGate('staging_tier')).toBe(true);
    const plain = client();
    await plain.initialize(GUEST);
    expect(plain.checkGate('staging_tier')).toBe(false);
  });
});

describe('cache', () => {
  it("serves the user's cached values at once on the next load and refreshes them in the background", async () => {
    await client().initialize(GUEST);
    expect(storage.keys().some((key) => key.startsWith('switchyard:values:'))).toBe(true);

    await server.authoring('POST', '/gates/everyone/disable');
    try {
      const next = client();
      const updates: string[] = [];
      next.subscribe(() => updates.push(next.details.source));
      const initialized = next.initialize(GUEST);
      // Before any network: the cached values.
      expect(next.getGate('everyone')).toMatchObject({ value: true, reason: 'Cache' });
      await initialized;
      await until(() => next.details.source === 'Network', 'the background refresh');
      expect(next.getGate('everyone')).toMatchObject({ value: false, reason: 'Network' });
      expect(updates).toEqual(['Cache', 'Network']);

      // Another user has nothing cached: no values until the server answers.
      const other = client();
      const loading = other.initialize({ userID: 'new-user' });
      expect(other.getGate('everyone').reason).toBe('Loading');
      await loading;
      expect(other.getGate('everyone').reason).toBe('Network');
    } finally {
      await server.authoring('POST', '/gates/everyone/enable');
    }
  });

  it('asks with sinceTime and keeps the cache when the server has no updates', async () => {
    await client().initialize(GUEST);
    const next = client();
    await next.initialize(GUEST);
    expect(next.details.source).toBe('Cache');
    const cached = next.getValues();
    await until(() => next.details.source === 'Network', 'the refresh');
    // has_updates: false kept the very same values object.
    expect(next.getValues()).toBe(cached);
  });

  it('keys the cache by user (attributes included) and keeps the ten most recent users', async () => {
    const sdk = client();
    await sdk.initialize(STAFF);
    await sdk.updateUser({ ...STAFF, email: 'sam@example.com' });
    expect(sdk.checkGate('staff_only')).toBe(false);
    await sdk.updateUser(STAFF);
    expect(sdk.getGate('staff_only')).toMatchObject({ value: true, reason: 'Cache' });
    for (let i = 0; i < 12; i++) await sdk.updateUser({ userID: `user-${i}` });
    expect(storage.keys().filter((key) => key.startsWith('switchyard:values:'))).toHaveLength(10);
  });
});

describe('bootstrap', () => {
  it('is readable synchronously after construction, with no request at all', async () => {
    const bootstrap = (await server.initialize(STAFF)) as InitializeResponse;
    const onError = vi.fn();
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      const sdk = client({ api: 'http://127.0.0.1:9/v1', user: STAFF, bootstrap, onError });
      expect(sdk.getGate('staff_only')).toMatchObject({ value: true, reason: 'Bootstrap' });
      expect(sdk.getConfig('pricing').get('price', 99)).toBe(0);
      await sdk.initialize();
      expect(sdk.details.source).toBe('Bootstrap');
      expect(fetchSpy).not.toHaveBeenCalled();
      expect(onError).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('applies to the first user only, and refuses hashed names', async () => {
    const bootstrap = (await server.initialize(STAFF)) as InitializeResponse;
    const sdk = client({ bootstrap });
    await sdk.initialize(STAFF);
    await sdk.updateUser(GUEST);
    expect(sdk.getGate('staff_only')).toMatchObject({ value: false, reason: 'Network' });

    storage.clear();
    const onError = vi.fn();
    const hashed = client({ bootstrap: { ...bootstrap, hash_used: 'djb2' }, onError });
    await hashed.initialize(STAFF);
    expect(onError).toHaveBeenCalledWith(expect.any(Error), 'bootstrap');
    expect(hashed.details.source).toBe('Network');
  });
});

describe('live updates', () => {
  it('re-fetches the values when the stream announces a new revision', async () => {
    const sdk = client({ stream: true });
    await sdk.initialize(GUEST);
    const stream = await until(
      () => NodeEventSource.instances.find((source) => source.readyState === 1),
      'the stream',
    );
    expect(stream.url).toBe(`${server.api}/stream?k=${CLIENT_KEY}`);
    expect(sdk.checkGate('everyone')).toBe(true);

    const changed = new Promise<void>((resolve) => sdk.on('values_updated', resolve));
    await server.authoring('POST', '/gates/everyone/disable');
    try {
      await changed;
      expect(sdk.getGate('everyone')).toMatchObject({ value: false, reason: 'Network' });
    } finally {
      await server.authoring('POST', '/gates/everyone/enable');
    }
    await until(() => sdk.checkGate('everyone'), 'the gate back on');

    await sdk.shutdown();
    expect(stream.readyState).toBe(2);
  });
});

describe('never throws', () => {
  it('returns defaults with reason Uninitialized before initialize', () => {
    const sdk = new SwitchyardClient(CLIENT_KEY, { stream: false, onError: () => {} });
    expect(sdk.checkGate('everyone')).toBe(false);
    expect(sdk.getGate('everyone').reason).toBe('Uninitialized');
    expect(sdk.getConfig('pricing')).toMatchObject({ value: {}, reason: 'Uninitialized' });
    expect(sdk.getConfig('pricing').get('price', 10)).toBe(10);
    expect(sdk.getLayer('checkout').get('button', 'grey')).toBe('grey');
    expect(() => sdk.logEvent('early')).not.toThrow();
  });

  it('resolves with reason NetworkError when the server is down or refuses the key', async () => {
    const onError = vi.fn();
    const down = client({ api: 'http://127.0.0.1:9/v1', onError });
    await expect(down.initialize(GUEST)).resolves.toBeUndefined();
    expect(down.getGate('everyone')).toMatchObject({ value: false, reason: 'NetworkError' });
    expect(onError).toHaveBeenCalledWith(expect.any(Error), 'initialize');

    const refused = vi.fn();
    const badKey = new SwitchyardClient('client-not-a-key', {
      api: server.api,
      stream: false,
      onError: refused,
    });
    await badKey.initialize(GUEST);
    expect(badKey.details.source).toBe('NetworkError');
    expect(refused.mock.calls[0]?.[0].message).toContain('401');
  });

  it('treats a response that is not an initialize response as a network error', async () => {
    const html = await fakeServer(() => ({ status: 200, body: '<html>maintenance</html>' }));
    const wrongShape = await fakeServer(() => ({ status: 200, body: '{"feature_gates":[]}' }));
    try {
      for (const api of [html.api, wrongShape.api]) {
        const onError = vi.fn();
        const sdk = client({ api, onError });
        await sdk.initialize(GUEST);
        expect(sdk.getGate('everyone').reason).toBe('NetworkError');
        expect(onError).toHaveBeenCalledWith(expect.any(Error), 'initialize');
      }
    } finally {
      await html.close();
      await wrongShape.close();
    }
  });

  it('returns defaults with reason InvalidValue for malformed entries, and fallbacks for wrong types', () => {
    const bootstrap: InitializeResponse = {
      time: 1,
      feature_gates: { yes: { value: 'yes', rule_id: 'r' }, odd: 'x' },
      dynamic_configs: {
        cfg: { value: 'x', rule_id: 'r' },
        ok: { value: { n: 1, s: 'a', list: [1] }, rule_id: 'r' },
      },
      layer_configs: { lay: { value: 3 } },
    };
    const sdk = client({ user: GUEST, bootstrap });
    expect(sdk.getGate('yes')).toMatchObject({ value: false, reason: 'InvalidValue' });
    expect(sdk.getGate('odd')).toMatchObject({ value: false, reason: 'InvalidValue' });
    expect(sdk.getConfig('cfg')).toMatchObject({ value: {}, reason: 'InvalidValue' });
    expect(sdk.getLayer('lay').get('x', 'd')).toBe('d');
    const ok = sdk.getConfig('ok');
    expect(ok.reason).toBe('Bootstrap');
    expect(ok.get('n', 'text')).toBe('text');
    expect(ok.get('s', 0)).toBe(0);
    expect(ok.get('list', {})).toEqual({});
    expect(ok.get('list', [] as number[])).toEqual([1]);
    expect(ok.get('n', 0)).toBe(1);
    expect(ok.get('missing', null)).toBeNull();
  });

  it('keeps working when storage throws, a listener throws, or onError itself throws', async () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    Object.defineProperty(globalThis, 'localStorage', { value: broken, configurable: true, writable: true });
    try {
      const onError = vi.fn();
      const sdk = client({ onError });
      const after = vi.fn();
      sdk.subscribe(() => {
        throw new Error('listener bug');
      });
      sdk.subscribe(after);
      await sdk.initialize(GUEST);
      expect(sdk.checkGate('everyone')).toBe(true);
      expect(after).toHaveBeenCalled();
      const contexts = onError.mock.calls.map((call) => call[1]);
      expect(contexts).toEqual(expect.arrayContaining(['load', 'storage', 'listener']));

      const throwing = client({
        api: 'http://127.0.0.1:9/v1',
        onError: () => {
          throw new Error('bad handler');
        },
      });
      await expect(throwing.initialize(GUEST)).resolves.toBeUndefined();
    } finally {
      Object.defineProperty(globalThis, 'localStorage', {
        value: storage,
        configurable: true,
        writable: true,
      });
    }
  });
});

describe('exposures and events', () => {
  it('logs each distinct exposure once per session, batched, in the format the server stores', async () => {
    const sdk = client({ stableID: 'device-exp' });
    await sdk.initialize(STAFF);
    for (let i = 0; i < 3; i++) sdk.checkGate('staff_only');
    sdk.getGate('staff_beta');
    sdk.getConfig('pricing');
    sdk.getConfig('pricing');
    const experiment = sdk.getExperiment('button_test');
    const layer = sdk.getLayer('checkout');
    layer.get('button', '');
    layer.get('button', '');
    layer.get('headline', '');
    layer.get('not_a_parameter', '');
    sdk.logEvent('purchase', 12.5, { sku: 'A1' });
    const before = (await server.events()).length;
    await sdk.flush();

    const events = (await server.events()).slice(before);
    const names = events.map((event) => `${event.eventName}:${event.entity ?? ''}`);
    expect(names.sort()).toEqual(
      [
        'statsig::gate_exposure:staff_only',
        'statsig::gate_exposure:staff_beta',
        'statsig::config_exposure:pricing',
        'statsig::config_exposure:button_test',
        'statsig::layer_exposure:checkout',
        'statsig::layer_exposure:checkout',
        'purchase:',
      ].sort(),
    );
    const byName = (name: string, entity?: string) =>
      events.find((event) => event.eventName === name && (entity === undefined || event.entity === entity));
    expect(byName('statsig::gate_exposure', 'staff_only')?.metadata).toMatchObject({
      gate: 'staff_only',
      gateValue: 'true',
      ruleID: sdk.getGate('staff_only').ruleID,
      reason: 'Network',
    });
    expect(byName('statsig::gate_exposure', 'staff_beta')?.secondaryExposures).toEqual([
      { gate: 'staff_only', gateValue: 'true', ruleID: sdk.getGate('staff_only').ruleID },
    ]);
    expect(byName('statsig::config_exposure', 'button_test')?.ruleID).toBe(experiment.ruleID);
    const layerExposures = events.filter((event) => event.eventName === 'statsig::layer_exposure');
    expect(
      layerExposures
        .map((event) => event.metadata)
        .sort((a, b) => String(a.parameterName).localeCompare(String(b.parameterName))),
    ).toEqual([
      expect.objectContaining({
        config: 'checkout',
        parameterName: 'button',
        isExplicitParameter: 'true',
        allocatedExperiment: 'button_test',
        ruleID: layer.ruleID,
      }),
      expect.objectContaining({
        config: 'checkout',
        parameterName: 'headline',
        isExplicitParameter: 'false',
        allocatedExperiment: '',
      }),
    ]);
    const purchase = byName('purchase');
    expect(purchase).toMatchObject({ value: '12.5', metadata: { sku: 'A1' }, userID: 'sam' });
    expect(purchase?.unitIDs).toMatchObject({ userID: 'sam', stableID: 'device-exp' });
    // Private attributes never leave the client with events.
    expect(JSON.stringify(events)).not.toContain('s3cret');

    // The same exposure again is not sent; for another user it is.
    sdk.checkGate('staff_only');
    await sdk.updateUser(GUEST);
    sdk.checkGate('staff_only');
    const after = (await server.events()).length;
    await sdk.flush();
    const next = (await server.events()).slice(after);
    expect(next.map((event) => [event.eventName, event.userID, event.metadata.gateValue])).toEqual([
      ['statsig::gate_exposure', 'gus', 'false'],
    ]);
  });

  it('sends a full batch at once, and the rest after the flush interval', async () => {
    const sdk = client({ maxBatchSize: 3, flushIntervalMs: 100, exposures: false });
    await sdk.initialize({ userID: 'batcher' });
    const mine = async () => (await server.events()).filter((event) => event.userID === 'batcher');
    for (let i = 0; i < 3; i++) sdk.logEvent(`batch_${i}`);
    await until(async () => (await mine()).length === 3, 'the full batch');
    sdk.logEvent('late');
    await until(async () => (await mine()).length === 4, 'the timed flush');
  });

  it('sends queued events on shutdown', async () => {
    const sdk = client({ exposures: false });
    await sdk.initialize({ userID: 'leaver' });
    sdk.logEvent('goodbye');
    await sdk.shutdown();
    expect((await server.events()).some((event) => event.userID === 'leaver')).toBe(true);
  });

  it('keeps events for the next send when the server fails', async () => {
    const flaky = await fakeServer((_body, count) =>
      count === 1 ? { status: 503, body: '{}' } : { status: 202, body: '{"success":true}' },
    );
    try {
      const onError = vi.fn();
      const sdk = client({ api: flaky.api, onError, exposures: false });
      sdk.logEvent('kept', 1);
      await sdk.flush();
      expect(onError).toHaveBeenCalledWith(expect.any(Error), 'flush');
      sdk.logEvent('second', 2);
      await sdk.flush();
      const sent = JSON.parse(flaky.bodies[1] ?? '{}') as { events: { eventName: string }[] };
      expect(sent.events.map((event) => event.eventName)).toEqual(['kept', 'second']);
      await sdk.flush();
      expect(flaky.bodies).toHaveLength(2);
    } finally {
      await flaky.close();
    }
  });
});
