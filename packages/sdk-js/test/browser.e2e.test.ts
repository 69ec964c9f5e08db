/**
 * The SDK and its React bindings in real Chromium (playwright-core, the system's
 * /usr/bin/chromium). A small node:http server (the "app server") serves a page bundled with
 * esbuild, renders it on the server (SSR with bootstrap values) for /ssr, and forwards /v1/* to
 * the Switchyard server, which listens on another port (as a reverse proxy would).
 *
 * Without Chromium the suite is skipped locally ("skipped: chromium not installed") and fails
 * in CI (CI=true).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InitializeResponse } from '../src/index.js';
import { type PageConfig, Root } from './fixtures/browser-app.js';
import { CLIENT_KEY, startTestServer, type TestServer } from './support/switchyard-server.js';

/** Debian's Chromium; never downloaded. CHROMIUM_PATH points elsewhere (or nowhere, to test the skip). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const HERE = dirname(fileURLToPath(import.meta.url));
const ALICE = { userID: 'alice' };

it.runIf(!available && process.env.CI === 'true')('has Chromium in CI', () => {
  throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
});

describe.skipIf(!available)(
  available ? 'in Chromium' : 'in Chromium (skipped: chromium not installed)',
  () => {
    let switchyard: TestServer;
    let app: Server;
    let appOrigin: string;
    let browser: Browser;
    let directory: string;
    let bundle: string;

    /** The page's HTML: config (and bootstrap) inline, optionally the server-rendered markup. */
    function html(config: PageConfig, ssr: boolean): string {
      const markup = ssr ? renderToString(createElement(Root, { config })) : '';
      // `<` escaped so that no value can close the script element.
      const json = JSON.stringify(config).replace(/</g, '\\u003c');
      return `<!doctype html><html><head><meta charset="utf-8"><title>checkout</title></head><body>
<div id="root">${markup}</div>
<script>window.__SWITCHYARD_PAGE__ = ${json};</script>
<script type="module" src="/app.js"></script>
</body></html>`;
    }

    /** Forwards a request to the Switchyard server, streaming both ways (SSE included). */
    function forward(request: IncomingMessage, response: import('node:http').ServerResponse) {
      const target = new URL(request.url ?? '/', switchyard.server.url);
      const upstream = httpRequest(
        target,
        { method: request.method, headers: { ...request.headers, host: target.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      response.on('close', () => upstream.destroy());
      request.pipe(upstream);
    }

    beforeAll(async () => {
      switchyard = await startTestServer();
      await switchyard.authoring('POST', '/gates', {
        name: 'new_checkout',
        rules: [
          { name: 'pilot_users', conditions: [{ field: 'userID', operator: 'any', value: ['alice'] }] },
        ],
      });
      await switchyard.authoring('POST', '/experiments', {
        name: 'button_color',
        groups: [
          { name: 'Blue', weight: 50, parameters: { color: 'blue' } },
          { name: 'Green', weight: 50, parameters: { color: 'green' } },
        ],
      });
      await switchyard.authoring('POST', '/experiments/button_color/start');

      directory = await mkdtemp(join(tmpdir(), 'switchyard-browser-'));
      await build({
        entryPoints: [join(HERE, 'fixtures/browser-main.tsx')],
        outfile: join(directory, 'app.js'),
        bundle: true,
        format: 'esm',
        platform: 'browser',
        jsx: 'automatic',
        conditions: ['@switchyard/source'],
        define: { 'process.env.NODE_ENV': '"production"' },
        logLevel: 'silent',
      });
      bundle = await readFile(join(directory, 'app.js'), 'utf8');

      app = createServer((request, response) => {
        const url = new URL(request.url ?? '/', 'http://app');
        if (url.pathname.startsWith('/v1/')) return forward(request, response);
        if (url.pathname === '/favicon.ico') {
          response.writeHead(204).end();
          return;
        }
        if (url.pathname === '/app.js') {
          response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
          return;
        }
        const page = async (): Promise<string> => {
          const sameOrigin = `${appOrigin}/v1`;
          switch (url.pathname) {
            case '/live':
              return html({ api: sameOrigin, clientKey: CLIENT_KEY, user: ALICE }, false);
            case '/bootstrap':
            case '/ssr': {
              // What an app server does: ask Switchyard for the user's values and render with them.
              const bootstrap = (await switchyard.initialize(ALICE)) as InitializeResponse;
              const config = { api: sameOrigin, clientKey: CLIENT_KEY, user: ALICE, bootstrap };
              return html(config, url.pathname === '/ssr');
            }
            case '/cross-origin':
              return html({ api: switchyard.api, clientKey: CLIENT_KEY, user: ALICE, stream: false }, false);
            case '/cross-origin-live':
              return html({ api: switchyard.api, clientKey: CLIENT_KEY, user: ALICE }, false);
            default:
              throw new Error(`no page ${url.pathname}`);
          }
        };
        page().then(
          (body) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body),
          (error: Error) => response.writeHead(404).end(error.message),
        );
      });
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

      browser = await chromium.launch({
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
    });

    afterAll(async () => {
      await browser?.close();
      app?.closeAllConnections();
      await new Promise((resolve) => app?.close(resolve));
      await switchyard?.close();
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    /** A fresh browser context (own localStorage); console errors and failed requests are collected. */
    async function open(): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      // What the page showed when its HTML was parsed and its scripts had run, before anything else.
      await page.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
          Object.assign(window, {
            __atDomContentLoaded: document.getElementById('checkout')?.textContent ?? null,
          });
        });
      });
      return { page, errors, close: () => context.close() };
    }

    const text = (page: Page, selector: string) => page.locator(selector).textContent();

    async function exposuresOf(userID: string) {
      return (await switchyard.events()).filter(
        (event) => event.userID === userID && event.eventName === 'statsig::gate_exposure',
      );
    }

    async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const value = await read();
        if (ok(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('shows the feature while the gate is on, and follows the gate off without a reload; exposures arrive', async () => {
      const { page, errors, close } = await open();
      try {
        const before = (await exposuresOf('alice')).length;
        await page.goto(`${appOrigin}/live`);
        await page.locator('#checkout', { hasText: 'New checkout' }).waitFor();
        await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

        await switchyard.authoring('POST', '/gates/new_checkout/disable');
        try {
          await page.locator('#checkout', { hasText: 'Old checkout' }).waitFor();
          expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(
            true,
          );
        } finally {
          await switchyard.authoring('POST', '/gates/new_checkout/enable');
        }
        await page.locator('#checkout', { hasText: 'New checkout' }).waitFor();

        // Leaving the page hides it: the queued exposures go out with sendBeacon.
        await page.goto('about:blank');
        const exposures = await until(
          async () => (await exposuresOf('alice')).slice(before),
          (found) => found.length >= 2,
          'the exposures',
        );
        expect(new Set(exposures.map((event) => event.metadata.gateValue))).toEqual(
          new Set(['true', 'false']),
        );
        expect(exposures[0]?.metadata).toMatchObject({ gate: 'new_checkout', reason: 'Network' });
        expect(exposures[0]?.unitIDs.stableID).toEqual(expect.any(String));
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('paints the right variant first from bootstrap, with the Switchyard server unreachable', async () => {
      const expected = (await switchyard.initialize(ALICE)) as InitializeResponse;
      const color = (expected.dynamic_configs.button_color as { value: { color: string } }).value.color;
      for (const path of ['/ssr', '/bootstrap']) {
        const { page, errors, close } = await open();
        const blocked: string[] = [];
        try {
          // No request reaches Switchyard, directly or through the app server.
          await page.route(
            (url) => url.pathname.startsWith('/v1/') || url.origin === new URL(switchyard.server.url).origin,
            (route) => {
              blocked.push(new URL(route.request().url()).pathname);
              return route.abort();
            },
          );
          const response = await page.goto(`${appOrigin}${path}`, { waitUntil: 'domcontentloaded' });
          if (path === '/ssr') expect(await response?.text()).toContain('New checkout');
          expect(
            await page.evaluate(() => (window as { __atDomContentLoaded?: string }).__atDomContentLoaded),
          ).toBe('New checkout');
          await page.waitForFunction(() => (window as { __hydrated?: boolean }).__hydrated === true);
          expect(await text(page, '#checkout')).toBe('New checkout');
          expect(await text(page, '#buy')).toBe(color);
          expect(await text(page, '#reason')).toBe('Bootstrap');
          // Bootstrapped values need no initialize request (the stream is tried, and blocked).
          expect(blocked.filter((pathname) => pathname.endsWith('/initialize'))).toEqual([]);
          // Hydration found the server's markup matching the first client render.
          expect(errors.filter((message) => !message.includes('net::ERR_FAILED'))).toEqual([]);
        } finally {
          await close();
        }
      }

      // Without bootstrap, the same blocked page can only show the default.
      const { page, close } = await open();
      try {
        await page.route(
          (url) => url.pathname.startsWith('/v1/'),
          (route) => route.abort(),
        );
        await page.goto(`${appOrigin}/live`, { waitUntil: 'domcontentloaded' });
        expect(
          await page.evaluate(() => (window as { __atDomContentLoaded?: string }).__atDomContentLoaded),
        ).toBe('Old checkout');
        await page.locator('#reason', { hasText: 'NetworkError' }).waitFor();
      } finally {
        await close();
      }
    });

    it('talks to a Switchyard server on another origin (CORS), exposures sent with sendBeacon', async () => {
      const { page, errors, close } = await open();
      try {
        const before = (await exposuresOf('alice')).length;
        await page.goto(`${appOrigin}/cross-origin`);
        await page.locator('#checkout', { hasText: 'New checkout' }).waitFor();
        const beacons = await page.evaluate(() => {
          const sent: string[] = [];
          const original = navigator.sendBeacon.bind(navigator);
          navigator.sendBeacon = (url, data) => {
            sent.push(String(url));
            return original(url, data);
          };
          Object.assign(window, { __beacons: sent });
          return sent.length;
        });
        expect(beacons).toBe(0);
        // Hidden, as when the user switches tabs: the page is still there to be asked.
        await page.evaluate(() => {
          Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        });
        const sent = await page.evaluate(() => (window as unknown as { __beacons: string[] }).__beacons);
        expect(sent).toEqual([`${switchyard.api}/rgstr?k=${CLIENT_KEY}`]);
        await until(
          async () => (await exposuresOf('alice')).length,
          (count) => count > before,
          'the exposure',
        );
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('follows changes from a Switchyard server on another origin', async () => {
      const { page, close } = await open();
      try {
        await page.goto(`${appOrigin}/cross-origin-live`);
        await page.locator('#checkout', { hasText: 'New checkout' }).waitFor();
        await switchyard.authoring('POST', '/gates/new_checkout/disable');
        try {
          await page.locator('#checkout', { hasText: 'Old checkout' }).waitFor();
        } finally {
          await switchyard.authoring('POST', '/gates/new_checkout/enable');
        }
      } finally {
        await close();
      }
    });
  },
);
