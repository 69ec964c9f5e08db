/**
 * Outgoing webhooks: the management API (secret shown once, audited without it) and delivery to
 * real HTTP receivers on 127.0.0.1 (signed JSON and Slack payloads, retries, final failures,
 * event filters, durable deliveries resumed after a restart, exclusive claims). Time is manual:
 * nothing waits for a real retry delay or timeout.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type NotificationEvent, signWebhookBody, verifyWebhookSignature } from '../src/domain/webhook.js';
import { type NotifierTimers, WebhookNotifier } from '../src/services/webhook-notifier.js';
import type { OpenDatabase } from '../src/store/database.js';
import { WebhookStore } from '../src/store/webhook-store.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-webhooks-test';
const SERVER = 'secret-webhooks-test';

/** A clock and timers that move only when told to. */
class ManualTime implements NotifierTimers {
  now = Date.UTC(2026, 0, 15, 12, 0, 0);
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  readonly clock = (): number => this.now;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.pending]) {
      if (timer.at <= this.now) {
        this.pending.delete(id);
        timer.callback();
      }
    }
  }
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: records every request and answers from a script (then 200, or `fallback`). */
class Receiver {
  readonly received: Received[] = [];
  readonly script: { status: number; headers?: Record<string, string> }[] = [];
  fallback = 200;
  /** Never answer (timeouts). */
  silent = false;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        receiver.received.push({ path: request.url ?? '', headers: request.headers, body });
        if (receiver.silent) return;
        const next = receiver.script.shift() ?? { status: receiver.fallback };
        response.writeHead(next.status, { 'content-type': 'text/plain', ...next.headers });
        response.end(next.status >= 400 ? `refused with ${next.status}` : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  bodies(path?: string): Record<string, unknown>[] {
    return this.received.filter((r) => path === undefined || r.path === path).map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const rollback: NotificationEvent = {
  type: 'guardrail.rollback',
  title: 'checkout-v2 rolled back in production',
  text: '**error_rate** rose 12% (95% CI 8%..16%) at stage 2 <25%> & more: [details](https://switchyard.example/gates/checkout-v2)',
  environment: 'production',
  entity: { kind: 'gate', name: 'checkout-v2' },
  data: { metric: 'error_rate', lift: 0.12, interval: [0.08, 0.16] },
};

describe('verifyWebhookSignature', () => {
  const secret = 'a'.repeat(64);
  const body = '{"id":"1"}';
  const nowMs = 1_800_000_000_000;
  const timestamp = String(nowMs / 1000);
  const signature = signWebhookBody(secret, nowMs / 1000, body);

  it('accepts the signature of the raw body and a recent timestamp', () => {
    expect(verifyWebhookSignature({ secret, body, signature, timestamp, nowMs })).toBe(true);
    expect(verifyWebhookSignature({ secret, body: Buffer.from(body), signature, timestamp, nowMs })).toBe(
      true,
    );
    // One of several signatures (e.g. while a secret is being rotated).
    const several = `v1=${'0'.repeat(64)}, ${signature}`;
    expect(verifyWebhookSignature({ secret, body, signature: several, timestamp, nowMs })).toBe(true);
  });

  it('refuses another body, secret or timestamp, a stale timestamp, and missing headers', () => {
    expect(verifyWebhookSignature({ secret, body: '{"id":"2"}', signature, timestamp, nowMs })).toBe(false);
    expect(verifyWebhookSignature({ secret: 'b'.repeat(64), body, signature, timestamp, nowMs })).toBe(false);
    expect(
      verifyWebhookSignature({ secret, body, signature, timestamp: String(nowMs / 1000 + 1), nowMs }),
    ).toBe(false);
    expect(verifyWebhookSignature({ secret, body, signature, timestamp, nowMs: nowMs + 301_000 })).toBe(
      false,
    );
    expect(verifyWebhookSignature({ secret, body, signature: undefined, timestamp, nowMs })).toBe(false);
    expect(verifyWebhookSignature({ secret, body, signature: 'v1=zz', timestamp, nowMs })).toBe(false);
  });
});

describe.each(TEST_DATABASES)('webhooks on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;
  let time: ManualTime;
  let receiver: Receiver;
  const extraReceivers: Receiver[] = [];

  const build = () =>
    buildApp({ database, clock: time.clock, webhooks: { timers: time, random: () => 0.5 } });

  beforeEach(async () => {
    time = new ManualTime();
    database = await testDatabase.open();
    app = await build();
    await app.keys.ensure('production', 'console', CONSOLE);
    await app.keys.ensure('production', 'server', SERVER);
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
    for (const extra of extraReceivers.splice(0)) await extra.close();
    await app.http.close();
    await database.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = {}) =>
    app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${CONSOLE}`, ...headers },
      ...(payload && { payload }),
    });
  const createWebhook = async (body: object): Promise<{ name: string; secret: string }> => {
    const response = await call('POST', '/webhooks', body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };
  const deliveries = async (name: string, limit = 50) =>
    (await call('GET', `/webhooks/${name}/deliveries?limit=${limit}`)).json().deliveries;
  /** Moves the clock to the first pending delivery's next attempt, then runs what is due. */
  const nextAttempt = async (name: string) => {
    const pending = (await deliveries(name)).find((d: { status: string }) => d.status === 'pending');
    expect(pending, 'a pending delivery').toBeDefined();
    time.advance(pending.nextAttemptAt - time.now);
    await app.notifier.flush();
  };

  it('shows the secret once, never in GETs or the audit log, and audits every change', async () => {
    const created = await createWebhook({ name: 'ops', url: receiver.url(), reason: 'on-call channel' });
    expect(created).toMatchObject({ name: 'ops', format: 'json', events: ['*'], enabled: true, version: 1 });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);

    const one = await call('GET', '/webhooks/ops');
    expect(one.statusCode).toBe(200);
    expect(one.json()).not.toHaveProperty('secret');
    const list = await call('GET', '/webhooks');
    expect(list.json().webhooks).toHaveLength(1);
    const patched = await call('PATCH', '/webhooks/ops', { events: ['guardrail.*'] }, { 'if-match': '"1"' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['guardrail.*'], url: receiver.url(), version: 2 });
    const deleted = await call('DELETE', '/webhooks/ops?reason=moved');
    expect(deleted.statusCode).toBe(204);
    expect((await call('GET', '/webhooks/ops')).statusCode).toBe(404);

    const audit = await call('GET', '/audit?kind=webhook');
    const entries = audit.json().entries;
    expect(entries.map((entry: { action: string }) => entry.action)).toEqual(['delete', 'update', 'create']);
    expect(entries[2]).toMatchObject({
      actor: expect.stringMatching(/^key:/),
      name: 'ops',
      version: 1,
      reason: 'on-call channel',
      diff: { before: null, after: { name: 'ops', url: receiver.url(), format: 'json', events: ['*'] } },
    });
    expect(entries[1].diff).toMatchObject({ before: { events: ['*'] }, after: { events: ['guardrail.*'] } });
    expect(entries[0]).toMatchObject({ reason: 'moved', diff: { after: null } });
    for (const text of [one.body, list.body, patched.body, audit.body])
      expect(text).not.toContain(created.secret);
  });

  it('delivers JSON and Slack payloads, signed with each webhook secret', async () => {
    const json = await createWebhook({ name: 'json', url: receiver.url('/json'), format: 'json' });
    const slack = await createWebhook({ name: 'slack', url: receiver.url('/slack'), format: 'slack' });

    const result = await app.notifier.notify(rollback);
    expect(result).toEqual({ eventId: expect.any(String), deliveries: 2 });
    await app.notifier.flush();

    expect(receiver.received).toHaveLength(2);
    for (const request of receiver.received) {
      const secret = request.path === '/json' ? json.secret : slack.secret;
      expect(request.headers['user-agent']).toBe('switchyard-webhooks/1');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-switchyard-event-id']).toBe(result.eventId);
      expect(request.headers['x-switchyard-timestamp']).toBe(String(Math.floor(time.now / 1000)));
      const check = {
        body: request.body,
        signature: request.headers['x-switchyard-signature'],
        timestamp: request.headers['x-switchyard-timestamp'],
        nowMs: time.now,
      };
      expect(verifyWebhookSignature({ ...check, secret })).toBe(true);
      expect(
        verifyWebhookSignature({ ...check, secret: secret === json.secret ? slack.secret : json.secret }),
      ).toBe(false);
    }
    expect(receiver.bodies('/json')).toEqual([
      {
        id: result.eventId,
        type: 'guardrail.rollback',
        createdAt: new Date(time.now).toISOString(),
        title: rollback.title,
        text: rollback.text,
        environment: 'production',
        entity: { kind: 'gate', name: 'checkout-v2' },
        data: rollback.data,
      },
    ]);
    const [message] = receiver.bodies('/slack') as { text: string; blocks: Record<string, unknown>[] }[];
    expect(message?.text).toBe(rollback.title);
    expect(message?.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: rollback.title, emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*error_rate* rose 12% (95% CI 8%..16%) at stage 2 &lt;25%&gt; &amp; more: <https://switchyard.example/gates/checkout-v2|details>',
        },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Environment*\nproduction' },
          { type: 'mrkdwn', text: '*Gate*\ncheckout-v2' },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `guardrail.rollback · ${new Date(time.now).toISOString()} · event ${result.eventId}`,
          },
        ],
      },
    ]);
    expect(await deliveries('json')).toEqual([
      {
        id: expect.any(String),
        eventId: result.eventId,
        type: 'guardrail.rollback',
        status: 'delivered',
        attempts: 1,
        maxAttempts: 6,
        lastStatusCode: 200,
        lastError: null,
        createdAt: time.now,
        lastAttemptAt: time.now,
        nextAttemptAt: null,
        deliveredAt: time.now,
      },
    ]);
  });

  it('retries 5xx with growing delays until delivered; 400 is final; honours Retry-After; stops after 6 attempts', async () => {
    await createWebhook({ name: 'flaky', url: receiver.url('/flaky') });
    receiver.script.push({ status: 500 }, { status: 500 }, { status: 200 });
    const { eventId } = await app.notifier.notify(rollback);
    await app.notifier.flush();
    const [first] = await deliveries('flaky');
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 });
    expect(first.lastError).toContain('refused with 500');
    const firstDelay = first.nextAttemptAt - time.now;
    expect(firstDelay).toBeGreaterThan(0);
    await nextAttempt('flaky');
    const [second] = await deliveries('flaky');
    expect(second).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500 });
    expect(second.nextAttemptAt - time.now).toBe(2 * firstDelay);
    await nextAttempt('flaky');
    expect(await deliveries('flaky')).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null }),
    ]);
    expect(receiver.received.map((r) => r.headers['x-switchyard-event-id'])).toEqual([
      eventId,
      eventId,
      eventId,
    ]);
    expect(receiver.received.map((r) => r.headers['x-switchyard-attempt'])).toEqual(['1', '2', '3']);

    await app.http.inject({
      method: 'DELETE',
      url: '/api/v1/webhooks/flaky',
      headers: { authorization: `Bearer ${CONSOLE}` },
    });
    await createWebhook({ name: 'strict', url: receiver.url('/strict') });
    receiver.received.length = 0;
    receiver.script.push({ status: 400 });
    await app.notifier.notify(rollback);
    await app.notifier.flush();
    time.advance(60 * 60 * 1000);
    await app.notifier.flush();
    expect(receiver.received).toHaveLength(1);
    expect(await deliveries('strict')).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, lastStatusCode: 400, nextAttemptAt: null }),
    ]);

    receiver.received.length = 0;
    receiver.script.push({ status: 429, headers: { 'retry-after': '120' } });
    await app.notifier.notify(rollback);
    await app.notifier.flush();
    const [limited] = await deliveries('strict');
    expect(limited).toMatchObject({
      status: 'pending',
      lastStatusCode: 429,
      nextAttemptAt: time.now + 120_000,
    });
    await nextAttempt('strict');
    expect((await deliveries('strict'))[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    receiver.received.length = 0;
    receiver.fallback = 503;
    await app.notifier.notify(rollback);
    await app.notifier.flush();
    for (let attempt = 2; attempt <= 6; attempt++) await nextAttempt('strict');
    expect((await deliveries('strict'))[0]).toMatchObject({
      status: 'failed',
      attempts: 6,
      lastStatusCode: 503,
    });
    time.advance(24 * 60 * 60 * 1000);
    await app.notifier.flush();
    expect(receiver.received).toHaveLength(6);
  });

  it('retries timeouts and network errors', async () => {
    await createWebhook({ name: 'slow', url: receiver.url('/slow') });
    const closed = await Receiver.start();
    const closedUrl = closed.url('/gone');
    await closed.close();
    await createWebhook({ name: 'gone', url: closedUrl });

    receiver.silent = true;
    await app.notifier.notify(rollback);
    const flushing = app.notifier.flush();
    await vi.waitFor(async () => {
      expect(receiver.received).toHaveLength(1);
      expect((await deliveries('gone'))[0]?.lastError ?? '').toMatch(/^network error: /);
    });
    time.advance(5000);
    await flushing;
    expect((await deliveries('slow'))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'timed out after 5000 ms',
    });
    expect((await deliveries('gone'))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
    });
    receiver.silent = false;
    await nextAttempt('slow');
    expect((await deliveries('slow'))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('sends each event only to the enabled webhooks subscribed to its type', async () => {
    await createWebhook({ name: 'guardrails', url: receiver.url('/guardrails'), events: ['guardrail.*'] });
    await createWebhook({ name: 'alerts', url: receiver.url('/alerts'), events: ['topline.alert'] });
    await createWebhook({ name: 'muted', url: receiver.url('/muted'), enabled: false });

    expect((await app.notifier.notify(rollback)).deliveries).toBe(1);
    expect((await app.notifier.notify({ ...rollback, type: 'topline.alert' })).deliveries).toBe(1);
    expect((await app.notifier.notify({ ...rollback, type: 'release.stage_changed' })).deliveries).toBe(0);
    // `guardrail.*` covers types below the prefix, not a type that merely starts the same way.
    expect((await app.notifier.notify({ ...rollback, type: 'guardrails.rollback' })).deliveries).toBe(0);
    await app.notifier.flush();
    expect(receiver.received.map((r) => [r.path, JSON.parse(r.body).type]).sort()).toEqual([
      ['/alerts', 'topline.alert'],
      ['/guardrails', 'guardrail.rollback'],
    ]);
  });

  it('notify never throws: an event that cannot be stored is reported, not thrown', async () => {
    await createWebhook({ name: 'ops', url: receiver.url() });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const result = await app.notifier.notify({ ...rollback, data: cyclic });
    expect(result).toMatchObject({ deliveries: 0, error: expect.any(String) });
    expect(await deliveries('ops')).toEqual([]);
  });

  it('resumes a pending delivery after a restart on the same database', async () => {
    await createWebhook({ name: 'ops', url: receiver.url() });
    receiver.script.push({ status: 503 });
    const { eventId } = await app.notifier.notify(rollback);
    await app.notifier.flush();
    expect((await deliveries('ops'))[0]).toMatchObject({ status: 'pending', attempts: 1 });

    await app.http.close();
    app = await build();
    await nextAttempt('ops');
    expect((await deliveries('ops'))[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 200,
    });
    expect(receiver.received.map((r) => r.headers['x-switchyard-event-id'])).toEqual([eventId, eventId]);
  });

  it('claims each delivery once: a held claim is skipped until its lease runs out, two notifiers never share one', async () => {
    await createWebhook({ name: 'ops', url: receiver.url() });
    const store = new WebhookStore(database.db, app.entities, time.clock, database.dialect);
    // An instance that only queues (never started), and one that died holding a claim.
    const queueOnly = new WebhookNotifier(store, { clock: time.clock, timers: time });
    const { eventId } = await queueOnly.notify(rollback);
    const [held] = await store.claimDue(time.now, 10, 60_000, 'instance-that-died');
    expect(held).toMatchObject({ eventId, attempt: 1 });
    await app.notifier.flush();
    expect(receiver.received).toHaveLength(0);
    time.advance(60_000);
    await app.notifier.flush();
    expect(receiver.received).toHaveLength(1);
    expect((await deliveries('ops'))[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    receiver.received.length = 0;
    for (let i = 0; i < 30; i++) await queueOnly.notify({ ...rollback, data: { i } });
    const options = { clock: time.clock, timers: time, concurrency: 3 };
    const one = new WebhookNotifier(store, options);
    const two = new WebhookNotifier(store, options);
    one.start();
    two.start();
    await Promise.all([one.flush(), two.flush(), app.notifier.flush()]);
    await Promise.all([one.close(), two.close()]);
    const sent = receiver.bodies().map((body) => (body.data as { i: number }).i);
    expect(sent.sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    const all = await deliveries('ops', 100);
    expect(
      all.filter((d: { status: string; attempts: number }) => d.status === 'delivered' && d.attempts === 1),
    ).toHaveLength(30);
  });

  it('sends a test event now and answers with the outcome, without retrying it', async () => {
    await createWebhook({ name: 'ops', url: receiver.url(), events: ['topline.alert'], format: 'slack' });
    const ok = await call('POST', '/webhooks/ops/test');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      delivered: true,
      delivery: {
        type: 'webhook.test',
        status: 'delivered',
        attempts: 1,
        maxAttempts: 1,
        lastStatusCode: 200,
      },
    });
    expect((receiver.bodies()[0] as { text: string }).text).toBe('Test notification for webhook ops');

    time.advance(1000);
    receiver.script.push({ status: 500 });
    const failed = await call('POST', '/webhooks/ops/test');
    expect(failed.json()).toMatchObject({
      delivered: false,
      delivery: {
        status: 'failed',
        attempts: 1,
        lastStatusCode: 500,
        lastError: expect.stringContaining('500'),
      },
    });
    time.advance(60 * 60 * 1000);
    await app.notifier.flush();
    expect(receiver.received).toHaveLength(2);
    expect((await deliveries('ops')).map((d: { status: string }) => d.status)).toEqual([
      'failed',
      'delivered',
    ]);
    expect((await call('POST', '/webhooks/nope/test')).json().error.code).toBe('not_found');
  });

  it('refuses bad input with a stable code and the field', async () => {
    const refused = async (body: object, status = 400) => {
      const response = await call('POST', '/webhooks', body);
      expect(response.statusCode, response.body).toBe(status);
      return response.json().error;
    };
    const url = receiver.url();
    expect(await refused({ name: 'a', url: 'ftp://example.com/hook' })).toMatchObject({
      code: 'invalid_request',
      details: { field: 'body.url' },
    });
    expect(await refused({ name: 'a', url: 'not a url' })).toMatchObject({ details: { field: 'body.url' } });
    expect(await refused({ name: 'a', url, format: 'teams' })).toMatchObject({
      code: 'invalid_request',
      details: { field: 'body.format' },
    });
    expect(await refused({ name: 'a', url, events: ['Not An Event'] })).toMatchObject({
      details: { field: 'body.events.0' },
    });
    expect(await refused({ name: 'Bad Name', url })).toMatchObject({ details: { field: 'body.name' } });
    await createWebhook({ name: 'a', url });
    expect(await refused({ name: 'a', url }, 409)).toMatchObject({
      code: 'already_exists',
      details: { field: 'body.name' },
    });

    const patch = await call('PATCH', '/webhooks/a', { url: 'javascript:alert(1)' });
    expect(patch.json().error).toMatchObject({ code: 'invalid_request', details: { field: 'body.url' } });
    const stale = await call('PATCH', '/webhooks/a', { enabled: false }, { 'if-match': '"7"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('version_conflict');
    expect((await call('GET', '/webhooks/nope')).json().error.code).toBe('not_found');
    expect((await call('GET', '/webhooks/nope/deliveries')).statusCode).toBe(404);
    const serverKey = await app.http.inject({
      method: 'GET',
      url: '/api/v1/webhooks',
      headers: { authorization: `Bearer ${SERVER}` },
    });
    expect(serverKey.statusCode).toBe(403);
  });
});
