/**
 * The console in real Chromium (Debian's /usr/bin/chromium through playwright-core, never a
 * downloaded browser) against a real server serving a fresh build of the console: the flow a
 * new user follows without docs. Sign in, create a gate with an employees rule, raise it to a
 * 5% canary, read its Pulse, press the kill switch and find it in the audit log. Screenshots of
 * the main pages go to apps/console/test-artifacts/.
 *
 * Without Chromium the suite is skipped locally ("skipped: chromium not installed") and fails in
 * CI (CI=true).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEvaluator } from '@switchyard/core';
import { type App, buildApp, openDatabase } from '@switchyard/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const CONSOLE_KEY = 'console-e2e-console-test';
const SERVER_KEY = 'secret-e2e-console-test';
const consoleRoot = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(consoleRoot, 'test-artifacts');

it.runIf(!available && process.env.CI === 'true')('has Chromium in CI', () => {
  throw new Error(`${CHROMIUM} is missing: the console's browser tests must run in CI`);
});

describe.skipIf(!available)(
  available ? 'console in Chromium' : 'console in Chromium (skipped: chromium not installed)',
  () => {
    let buildDir: string;
    let app: App;
    let origin: string;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${origin}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${await response.text()}`);
      return response.json();
    };
    const shoot = (name: string) =>
      page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });

    beforeAll(async () => {
      buildDir = await mkdtemp(join(tmpdir(), 'switchyard-console-build-'));
      await build({
        root: consoleRoot,
        configFile: join(consoleRoot, 'vite.config.ts'),
        logLevel: 'silent',
        build: { outDir: buildDir, emptyOutDir: true },
      });
      app = await buildApp({
        database: await openDatabase(':memory:'),
        consoleDir: buildDir,
        pulseIntervalMs: 0,
      });
      await app.keys.ensure('production', 'console', CONSOLE_KEY);
      await app.keys.ensure('production', 'server', SERVER_KEY);
      origin = (await app.http.listen({ port: 0, host: '127.0.0.1' })).replace('0.0.0.0', '127.0.0.1');
      // The metric catalogue exists before the release (a team defines it once).
      await api('POST', '/metrics', {
        name: 'request_timeout_rate',
        type: 'ratio',
        numerator: {
          event: 'request',
          filters: [{ field: 'metadata.outcome', operator: 'eq', values: ['timeout'] }],
        },
        denominator: { event: 'request' },
        direction: 'decrease',
        guardrail: true,
      });
      await mkdir(artifacts, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (error) => pageErrors.push(String(error)));
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await app?.http.close();
      if (buildDir) await rm(buildDir, { recursive: true, force: true });
    });

    it('signs in with a console key, and says so when the key is wrong', async () => {
      await page.goto(`${origin}/`);
      await page.getByLabel('Console key').fill('console-not-a-real-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent())
        .toMatch(/unauthori[sz]ed|not valid|401/i);
      await page.getByLabel('Console key').fill(CONSOLE_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await shoot('01-gates-empty');
    });

    it('creates a gate with an employees rule', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gates' }).click();
      await page.getByRole('link', { name: 'New gate' }).click();
      await page.getByLabel('Name', { exact: true }).fill('new_checkout');
      await page.getByLabel('Description').fill('The one-page checkout');
      const employees = page.getByRole('group', { name: 'Rule 1', exact: true });
      await employees.getByLabel('Values').fill('@company.com');
      await shoot('02-new-gate');
      await page.getByRole('button', { name: 'Create gate' }).click();
      await page.waitForURL(/\/gates\/new_checkout/);
      const gate = await api('GET', '/gates/new_checkout');
      expect(gate.rules).toEqual([
        expect.objectContaining({
          name: 'Employees',
          passPercentage: 100,
          conditions: [
            expect.objectContaining({
              field: 'email',
              operator: 'str_ends_with_any',
              value: ['@company.com'],
            }),
          ],
        }),
      ]);
    });

    it('raises it to a 5% canary, keeping employees in', async () => {
      await page.getByRole('button', { name: 'Add rule' }).click();
      const canary = page.getByRole('group', { name: 'Rule 2', exact: true });
      await canary.getByLabel('Rule name').fill('Canary');
      await canary.getByLabel('Type').selectOption('public');
      await canary.getByLabel('Exact %').fill('5');
      await page.getByLabel('Reason for the change').fill('canary for 5% of customers');
      await page.getByRole('button', { name: 'Save rules' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Saved as version 2/ })
        .waitFor();
      await shoot('03-gate-rules');
      const gate = await api('GET', '/gates/new_checkout');
      expect(
        gate.rules.map((rule: { name: string; passPercentage: number }) => [rule.name, rule.passPercentage]),
      ).toEqual([
        ['Employees', 100],
        ['Canary', 5],
      ]);
      const evaluator = createEvaluator((await app.snapshots.current('production')).specs);
      expect(evaluator.checkGate({ userID: 'e', email: 'ada@company.com' }, 'new_checkout').value).toBe(true);
      const passing = Array.from({ length: 4000 }, (_, i) => ({ userID: `user-${i}` })).filter(
        (user) => evaluator.checkGate(user, 'new_checkout').value,
      ).length;
      expect(passing / 4000).toBeGreaterThan(0.035);
      expect(passing / 4000).toBeLessThan(0.065);
    });

    it("reads the canary's Pulse: the timeout regression with its interval", async () => {
      // Customers use the release: exposures and requests, the canary timing out more often.
      const evaluator = createEvaluator((await app.snapshots.current('production')).specs);
      const events: object[] = [];
      let seed = 1;
      const random = () => {
        seed = (seed * 48_271) % 2_147_483_647;
        return seed / 2_147_483_647;
      };
      for (let i = 0; i < 4000; i++) {
        const user = { userID: `user-${i}` };
        const result = evaluator.checkGate(user, 'new_checkout');
        events.push({
          eventName: 'statsig::gate_exposure',
          time: Date.now(),
          user,
          metadata: { gate: 'new_checkout', gateValue: String(result.value), ruleID: result.ruleID },
        });
        for (let r = 0; r < 10; r++) {
          const timedOut = random() < (result.value ? 0.12 : 0.03);
          events.push({
            eventName: 'request',
            time: Date.now(),
            user,
            metadata: { outcome: timedOut ? 'timeout' : 'ok' },
          });
        }
      }
      const logged = await fetch(`${origin}/v1/log_event`, {
        method: 'POST',
        headers: { 'statsig-api-key': SERVER_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ events, statsigMetadata: { sdkType: 'console-e2e' } }),
      });
      expect(logged.status).toBe(202);
      await app.pulse.catchUp();

      await page
        .getByRole('navigation', { name: 'Gate sections' })
        .getByRole('link', { name: 'Pulse' })
        .click();
      const metrics = page
        .getByRole('table', { name: /^Metrics:/ })
        .filter({ hasText: 'request_timeout_rate' })
        .first();
      await metrics.waitFor({ timeout: 20_000 });
      const bar = metrics.getByRole('img', { name: /^Lift \+\d/ }).first();
      await bar.waitFor();
      expect(await bar.getAttribute('aria-label')).toMatch(/95% interval/);
      // The live counts (polled every 5 s) show the canary's units.
      await expect
        .poll(() => page.getByTestId('exposures-passing').textContent(), { timeout: 15_000 })
        .toMatch(/^[1-9]/);
      await shoot('04-gate-pulse');
    });

    it('presses the kill switch (with a confirmation) and finds it in the audit log', async () => {
      await page.getByRole('button', { name: 'Turn off everywhere' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Reason').fill('timeouts up in the canary');
      await shoot('05-kill-switch-dialog');
      await dialog.getByRole('button', { name: 'Turn off', exact: true }).click();
      await expect.poll(async () => (await api('GET', '/gates/new_checkout')).enabled).toBe(false);
      await expect.poll(() => page.getByTestId('gate-status').textContent()).toMatch(/off/i);
      const evaluator = createEvaluator((await app.snapshots.current('production')).specs);
      expect(evaluator.checkGate({ userID: 'e', email: 'ada@company.com' }, 'new_checkout').value).toBe(
        false,
      );

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      const entries = page.getByRole('list', { name: 'Audit entries' });
      await entries.waitFor();
      await expect.poll(() => entries.textContent()).toContain('timeouts up in the canary');
      await shoot('06-audit-log');
      expect(pageErrors).toEqual([]);
    });

    it('opens the other main pages without errors', async () => {
      for (const [link, name] of [
        ['Gates', '07-gates-list'],
        ['SDK fleet', '08-sdk-fleet'],
        ['Evaluate as user', '09-evaluate'],
        ['Metrics', '10-metrics'],
        ['Experiments', '11-experiments'],
        ['Layers', '12-layers'],
        ['Webhooks', '13-webhooks'],
        ['Audit log', '14-audit-log'],
      ] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await shoot(name);
      }
      expect(pageErrors).toEqual([]);
    });
  },
);
