/**
 * The built console is served at `/`: compressed once, hashed assets cached for good, index.html
 * for the console's own paths, and JSON 404s for everything API-shaped.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { openDatabase } from '../src/store/database.js';

let directory: string;
let app: App;
const SCRIPT = `console.log(${JSON.stringify('switchyard '.repeat(400))});`;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchyard-console-'));
  await mkdir(join(directory, 'assets'));
  await writeFile(
    join(directory, 'index.html'),
    '<!doctype html><title>Switchyard</title><script src="/assets/app-1a2b3c.js"></script>',
  );
  await writeFile(join(directory, 'assets', 'app-1a2b3c.js'), SCRIPT);
  app = await buildApp({
    database: await openDatabase(':memory:'),
    consoleDir: directory,
    pulseIntervalMs: 0,
    guardrailIntervalMs: 0,
  });
});
afterAll(async () => {
  await app.http.close();
  await rm(directory, { recursive: true, force: true });
});

it('serves index.html at / and at console paths, never cached stale', async () => {
  for (const url of ['/', '/gates/new_checkout', '/audit?kind=gate']) {
    const page = await app.http.inject({ method: 'GET', url, headers: { accept: 'text/html,*/*' } });
    expect(page.statusCode, url).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('/assets/app-1a2b3c.js');
  }
});

it('serves hashed assets compressed (brotli, gzip) and cached for a year, with 304s', async () => {
  const br = await app.http.inject({
    method: 'GET',
    url: '/assets/app-1a2b3c.js',
    headers: { 'accept-encoding': 'gzip, br' },
  });
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
  expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
  const gzip = await app.http.inject({
    method: 'GET',
    url: '/assets/app-1a2b3c.js',
    headers: { 'accept-encoding': 'gzip' },
  });
  expect(gunzipSync(gzip.rawPayload).toString()).toBe(SCRIPT);
  const plain = await app.http.inject({ method: 'GET', url: '/assets/app-1a2b3c.js' });
  expect(plain.body).toBe(SCRIPT);
  const again = await app.http.inject({
    method: 'GET',
    url: '/assets/app-1a2b3c.js',
    headers: { 'if-none-match': String(plain.headers.etag) },
  });
  expect(again.statusCode).toBe(304);
  expect((await app.http.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
});

it('keeps API paths JSON: an unknown one is a 404 with an error code, even from a browser', async () => {
  for (const url of ['/api/v1/nothing-here', '/v1/nothing-here']) {
    const response = await app.http.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  }
  const post = await app.http.inject({ method: 'POST', url: '/gates/x', headers: { accept: 'text/html' } });
  expect(post.statusCode).toBe(404);
});

it('says how to build the console when there is none', async () => {
  const bare = await buildApp({
    database: await openDatabase(':memory:'),
    consoleDir: join(directory, 'nowhere'),
    pulseIntervalMs: 0,
    guardrailIntervalMs: 0,
  });
  const page = await bare.http.inject({ method: 'GET', url: '/' });
  expect(page.statusCode).toBe(503);
  expect(page.body).toContain('npm run build');
  await bare.http.close();
});

it('compresses large authoring API answers for the console', async () => {
  await app.keys.ensure('production', 'console', 'console-compress-test');
  for (let i = 0; i < 40; i++) {
    const created = await app.http.inject({
      method: 'POST',
      url: '/api/v1/gates',
      headers: { authorization: 'Bearer console-compress-test' },
      payload: {
        name: `gate_${i}`,
        description: 'a gate with a description long enough to matter',
        rules: [],
      },
    });
    expect(created.statusCode).toBe(201);
  }
  const list = await app.http.inject({
    method: 'GET',
    url: '/api/v1/gates',
    headers: { authorization: 'Bearer console-compress-test', 'accept-encoding': 'gzip' },
  });
  expect(list.headers['content-encoding']).toBe('gzip');
  const gates = JSON.parse(gunzipSync(list.rawPayload).toString()).gates;
  expect(gates).toHaveLength(40);
  expect(list.rawPayload.length).toBeLessThan(JSON.stringify({ gates }).length / 4);
});
