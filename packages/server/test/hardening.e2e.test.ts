/**
 * Regressions found by review: secrets in request logs, and a corrupt gzip body that crashed the
 * process when Fastify never read it.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { redactUrl } from '../src/http/redact-url.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const SERVER = 'secret-hardening-key-1';
let database: OpenDatabase;
let app: App;

afterEach(async () => {
  await app?.http.close();
  await database?.close();
});

describe('request logs', () => {
  it('redact server keys and list-file ids from URLs', () => {
    expect(redactUrl('/v1/download_config_specs/secret-abc.json?sinceTime=5')).toBe(
      '/v1/download_config_specs/[redacted]?sinceTime=5',
    );
    expect(redactUrl('/v1/stream?k=secret-abc&x=1')).toBe('/v1/stream?k=[redacted]&x=1');
    expect(redactUrl('/v1/initialize?st=js&k=client-abc')).toBe('/v1/initialize?st=js&k=[redacted]');
    expect(redactUrl('/v1/id_list_files/Zx81abc')).toBe('/v1/id_list_files/[redacted]');
    expect(redactUrl('/api/v1/gates/new_checkout')).toBe('/api/v1/gates/new_checkout');
  });

  it('never write a server key into the log of a real request', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    database = await openDatabase(':memory:');
    app = await buildApp({ database, logger: { level: 'info', stream: sink } as never });
    await app.keys.ensure('production', 'server', SERVER);
    const response = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}.json`,
    });
    expect(response.statusCode).toBe(200);
    await app.http.inject({
      method: 'POST',
      url: `/v1/initialize?k=${SERVER}`,
      payload: { user: { userID: 'u' } },
    });
    expect(lines.join('')).toContain('download_config_specs/[redacted]');
    expect(lines.join('')).not.toContain(SERVER);
  });
});

describe('corrupt gzip bodies', () => {
  it('answer 4xx and leave the process serving, whether or not the body is read', async () => {
    database = await openDatabase(':memory:');
    app = await buildApp({ database });
    await app.keys.ensure('production', 'server', SERVER);
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
      const response = await app.http.inject({
        method: 'POST',
        url: '/v1/log_event',
        headers: { 'statsig-api-key': SERVER, 'content-type': contentType, 'content-encoding': 'gzip' },
        payload: Buffer.from('definitely not gzip'),
      });
      expect(response.statusCode, contentType).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, contentType).toBeLessThan(500);
    }
    const specs = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}.json`,
      headers: { 'content-encoding': 'gzip' },
      payload: Buffer.from('garbage'),
    });
    expect(specs.statusCode).toBe(200);
    // Give any stray stream error a turn of the event loop to surface.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('SDK rate limits', () => {
  it('answer 429 rate_limited with Retry-After past the limit, per client and key, and spare the console API', async () => {
    database = await openDatabase(':memory:');
    app = await buildApp({ database, sdkRateLimit: { max: 5, windowMs: 60_000 } });
    await app.keys.ensure('production', 'server', SERVER);
    await app.keys.ensure('production', 'server', `${SERVER}-other`);
    await app.keys.ensure('production', 'console', 'console-hardening-key-1');
    const download = (key: string) =>
      app.http.inject({
        method: 'GET',
        url: `/v1/download_config_specs/${key}.json`,
      });
    const statuses: number[] = [];
    for (let request = 0; request < 7; request++) statuses.push((await download(SERVER)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await download(SERVER);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await download(`${SERVER}-other`)).statusCode).toBe(200);
    for (let request = 0; request < 10; request++) {
      const gates = await app.http.inject({
        method: 'GET',
        url: '/api/v1/gates',
        headers: { authorization: 'Bearer console-hardening-key-1' },
      });
      expect(gates.statusCode).toBe(200);
    }
  });
});

describe('malformed URLs', () => {
  it('answer 400 in the usual error shape without quoting a key from the path', async () => {
    database = await openDatabase(':memory:');
    app = await buildApp({ database });
    const response = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}%zz.json`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toMatch(/^[a-z_]+$/);
    expect(response.body).not.toContain(SERVER);
  });
});
