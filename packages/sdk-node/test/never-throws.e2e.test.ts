/**
 * The SDK never throws into the host and leaves no unhandled rejection: with unusable options,
 * bad user input, a server answering garbage on every route (broken JSON, wrong shapes, bad
 * gzip, corrupt stream events and list files), and a server that is down. A good configuration
 * is never replaced by garbage.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Switchyard, type SwitchyardOptions } from '@switchyard/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/test-server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const GOOD_DCS = {
  has_updates: true,
  time: 1_700_000_000_000,
  feature_gates: [
    {
      name: 'good_gate',
      salt: 'salt',
      enabled: true,
      defaultValue: false,
      rules: [{ id: 'everyone', passPercentage: 100, conditions: [{ type: 'public' }], returnValue: true }],
    },
  ],
  dynamic_configs: [],
  layer_configs: [],
};

/** How the garbage server answers download_config_specs. */
let dcsMode: 'garbage' | 'good' | 'newer-garbage' = 'garbage';
let dcsAnswers = 0;

function garbageServer(): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    const path = request.url ?? '';
    if (path.startsWith('/v1/stream')) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('event: revision\ndata: {"revision": 1}\n\n');
      response.write('event: config\nid: 2\ndata: {"feature_gates": "not an array"}\n\n');
      response.end();
      return;
    }
    if (path.startsWith('/v1/download_config_specs')) {
      dcsAnswers += 1;
      if (dcsMode === 'good') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(GOOD_DCS));
      } else if (dcsMode === 'newer-garbage') {
        // Claims to be newer, but a spec has no name: refused whole.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ ...GOOD_DCS, time: GOOD_DCS.time + 1, feature_gates: [{ rules: [] }] }),
        );
      } else if (dcsAnswers % 3 === 0) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end('this is not gzip');
      } else if (dcsAnswers % 3 === 1) {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html>502 Bad Gateway</html>');
      } else {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end(gzipSync('{"feature_gates": null, "dynamic_configs": [], "layer_configs": []}'));
      }
      return;
    }
    if (path.startsWith('/v1/get_id_lists')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      const port = (request.socket.localPort ?? 0).toString();
      response.end(
        JSON.stringify({
          broken: {
            name: 'broken',
            url: `http://127.0.0.1:${port}/v1/list/broken`,
            fileID: 'f',
            creationTime: 1,
            size: 50,
          },
          malformed: { name: 'malformed', size: 'big' },
          elsewhere: { name: 'elsewhere', url: 'not a url', fileID: 'g', creationTime: 1, size: 5 },
        }),
      );
      return;
    }
    if (path.startsWith('/v1/list/')) {
      response.writeHead(206, { 'content-type': 'text/plain', 'content-range': 'bytes 0-49/50' });
      response.end('garbage that is not a list file at all............');
      return;
    }
    if (path.startsWith('/v1/log_event')) {
      response.writeHead(500);
      response.end('{"oops":');
      return;
    }
    response.writeHead(404);
    response.end();
  });
}

let server: Server;
let url: string;
const sdks: Switchyard[] = [];

async function init(options: Partial<SwitchyardOptions>): Promise<Switchyard> {
  const sdk = await Switchyard.init(options as SwitchyardOptions);
  sdks.push(sdk);
  return sdk;
}

/** Inputs a careless caller might pass as a user. */
function badUsers(): unknown[] {
  const circular: Record<string, unknown> = { userID: 'circular' };
  circular.custom = { self: circular };
  const throwing = new Proxy(
    {},
    {
      get() {
        throw new Error('a getter that throws');
      },
      ownKeys() {
        throw new Error('ownKeys that throws');
      },
    },
  );
  return [
    null,
    undefined,
    42,
    'user-as-string',
    [],
    {},
    { userID: null },
    { userID: { nested: true } },
    { customIDs: 'not an object' },
    { customIDs: {} },
    throwing,
    { userID: 'u', custom: throwing },
    { userID: 'u', customIDs: throwing },
    circular,
    { userID: 'u', email: 42, custom: { big: 10n } },
    { userID: 'u', privateAttributes: null, statsigEnvironment: 'prod' },
  ];
}

const badNames: unknown[] = [null, undefined, '', 42, {}, 'good_gate', 'constructor', '__proto__'];

describe('never throws', () => {
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = garbageServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await Promise.all(sdks.map((sdk) => sdk.shutdown()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    process.off('unhandledRejection', onUnhandled);
  });

  it('resolves init with unusable options, saying why', async () => {
    for (const options of [
      null,
      undefined,
      42,
      {},
      { serverKey: 5 },
      { serverKey: 'secret-x', url: 'ftp://x' },
      { serverKey: 'secret-x', url: 'not a url' },
      { serverKey: 'secret-x', url },
    ]) {
      const sdk = await init((options ?? undefined) as Partial<SwitchyardOptions>);
      if (options && typeof options === 'object' && 'url' in options && options.url === url) continue;
      expect(sdk.initDetails).toMatchObject({ source: 'none', error: { code: 'invalid_argument' } });
      expect(sdk.checkGate({ userID: 'u' }, 'good_gate')).toBe(false);
    }
    const badBootstrap = await init({ serverKey: 'secret-x', localMode: true, bootstrap: '{not json' });
    expect(badBootstrap.initDetails).toMatchObject({ source: 'none', error: { code: 'invalid_argument' } });
  });

  let sdk: Switchyard;
  const errors: string[] = [];

  it('survives a server that answers garbage everywhere, serving the bootstrap', async () => {
    sdk = await init({
      serverKey: 'secret-garbage',
      url,
      bootstrap: { ...GOOD_DCS, time: 1 },
      pollIntervalMs: 20,
      reconnectDelayMs: { minMs: 10, maxMs: 50 },
      eventFlushIntervalMs: 20,
      eventRetryDelayMs: { minMs: 10, maxMs: 20 },
      eventRetryLimit: 1,
      idListSyncIntervalMs: 20,
      onError: (error) => errors.push(error.code),
    });
    expect(sdk.initDetails).toMatchObject({ source: 'bootstrap', error: { code: 'invalid_response' } });
    expect(sdk.checkGate({ userID: 'u' }, 'good_gate')).toBe(true);
    sdk.logEvent({ userID: 'u' }, 'refused');
    // Let the SDK chew on garbage for a while: every poll, stream, list sync and post fails.
    await waitFor(
      'several garbage answers',
      () => dcsAnswers,
      (count) => count > 10,
    );
    // The gate exposure and the custom event: refused with 500, retried once, then dropped.
    await waitFor(
      'the events to be given up',
      () => sdk.stats().droppedEvents,
      (count) => count === 2,
    );
    expect(sdk.stats().source).toBe('bootstrap');
    expect(sdk.checkGate({ userID: 'u' }, 'good_gate')).toBe(true);
    expect(new Set(errors)).toEqual(new Set(['invalid_response', 'http_status', 'events_dropped']));
  });

  it('takes a good configuration, and never replaces it with garbage', async () => {
    dcsMode = 'good';
    await waitFor(
      'the good configuration',
      () => sdk.stats().source,
      (source) => source === 'network',
    );
    dcsMode = 'newer-garbage';
    const answered = dcsAnswers;
    await waitFor(
      'more garbage',
      () => dcsAnswers,
      (count) => count > answered + 5,
    );
    expect(sdk.stats()).toMatchObject({ source: 'network', time: GOOD_DCS.time });
    expect(sdk.getFeatureGate({ userID: 'u' }, 'good_gate').evaluationDetails.reason).toBe('Network');
  });

  it('returns defaults with a reason for bad input, from every public method', async () => {
    const reasons = new Set<string>();
    for (const user of badUsers()) {
      for (const name of badNames) {
        const u = user as Parameters<Switchyard['checkGate']>[0];
        const n = name as string;
        expect(typeof sdk.checkGate(u, n)).toBe('boolean');
        reasons.add(sdk.getFeatureGate(u, n).evaluationDetails.reason);
        const config = sdk.getConfig(u, n);
        expect(config.get(n, 'fallback')).toBeDefined();
        sdk.getExperiment(u, n, { disableExposureLogging: true });
        const layer = sdk.getLayer(u, n, null as never);
        layer.get(n, 1);
        sdk.logEvent(u, n, user as never, user as never);
        sdk.logEvent(u, 'event', 10n as never, { circular: user } as never);
      }
    }
    expect(reasons).toContain('InvalidArgument');
    sdk.overrideGate(null as never, 'yes' as never);
    sdk.overrideConfig('c', null as never, 42 as never);
    sdk.overrideLayer(undefined as never, undefined as never);
    sdk.clearOverrides(42 as never);
    expect(sdk.onConfigChange(null as never)).toBeTypeOf('function');
    const unsubscribe = sdk.onConfigChange(() => {
      throw new Error('a listener that throws');
    });
    unsubscribe();
    await sdk.flush();
  });

  it('survives its own event listener and error handler throwing', async () => {
    const angry = await init({
      serverKey: 'secret-angry',
      url: 'http://127.0.0.1:9',
      initTimeoutMs: 200,
      onError: () => {
        throw new Error('the host handler throws');
      },
    });
    expect(angry.checkGate(null as never, 'x')).toBe(false);
    angry.onConfigChange(() => {
      throw new Error('boom');
    });
    await angry.flush();
    await angry.shutdown();
    await angry.shutdown();
  });

  it('left no unhandled rejection behind', async () => {
    await Promise.all(sdks.map((each) => each.shutdown()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
