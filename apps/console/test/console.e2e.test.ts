/**
 * The console in real Chromium (Debian's /usr/bin/chromium through playwright-core, never a
 * downloaded browser) against a real server serving a fresh build of the console: the flow a
 * new user follows without docs. Set up the first admin with the one-time setup token (a
 * session cookie from then on, with its CSRF token), create a gate with an employees rule,
 * raise it to a 5% canary, read its Pulse, press the kill switch and find it in the audit log;
 * then protect production with approvals: turning the gate back on becomes a change request
 * that a second person (an editor the admin adds) approves and applies. Screenshots of the
 * main pages go to apps/console/test-artifacts/.
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
const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const EDITOR = { email: 'ed@example.com', name: 'Ed Editor', password: 'another long password' };
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
    let setupToken: string;
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
      // The token the server prints at first start (start-server.ts does the same).
      setupToken = (await app.users.issueSetupToken()) as string;
      // The test's own checks go through the API with a (write) console key.
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

    it('sets up the first admin with the setup token, and stays signed in across a reload', async () => {
      await page.goto(`${origin}/`);
      await page.getByRole('form', { name: 'Set up the first admin' }).waitFor();
      // A console key still works as a way in; a wrong one is refused at the sign-in page.
      await page.getByRole('button', { name: 'Use a console key instead' }).click();
      await page.getByLabel('Console key', { exact: true }).fill('console-not-a-real-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent())
        .toMatch(/unauthori[sz]ed|not valid|401/i);
      await page.getByRole('button', { name: 'Set up the first admin instead' }).click();

      await page.getByLabel('Setup token', { exact: true }).fill('setup-wrong');
      await page.getByLabel('Email', { exact: true }).fill(ADMIN.email);
      await page.getByLabel('Name', { exact: true }).fill(ADMIN.name);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await shoot('00-setup');
      await page.getByRole('button', { name: 'Create admin and sign in' }).click();
      await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('invalid_setup_token');
      await page.getByLabel('Setup token', { exact: true }).fill(setupToken);
      await page.getByRole('button', { name: 'Create admin and sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      const who = page.getByTestId('signed-in-as');
      await expect.poll(() => who.textContent()).toMatch(/Signed in as Ada Admin\s*admin/);
      // The session is an httpOnly cookie: the page's script cannot read it.
      expect(await page.evaluate(() => document.cookie)).not.toContain('switchyard_session');
      // A reload reads the session (and its CSRF token) again.
      await page.reload();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('Ada Admin');
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
        ['API keys', '15-api-keys'],
        ['Environments', '16-environments'],
      ] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await shoot(name);
      }
      expect(pageErrors).toEqual([]);
    });

    it('protects production with approvals: turning the gate back on is approved and applied by a second person', async () => {
      const nav = page.getByRole('navigation', { name: 'Main' });
      // The admin adds an editor…
      await nav.getByRole('link', { name: 'Users' }).click();
      const addUser = page.getByRole('form', { name: 'Add a user' });
      await addUser.getByLabel('Email', { exact: true }).fill(EDITOR.email);
      await addUser.getByLabel('Name', { exact: true }).fill(EDITOR.name);
      await addUser.getByLabel('Role', { exact: true }).selectOption('editor');
      await addUser.getByLabel('Initial password', { exact: true }).fill(EDITOR.password);
      await addUser.getByRole('button', { name: 'Add user' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Added ${EDITOR.email} as editor` })
        .waitFor();
      await shoot('17-users');

      // …and makes production need a second person's approval.
      await nav.getByRole('link', { name: 'Environments' }).click();
      await page.getByLabel('Changes to production need approval').check();
      await page.getByRole('button', { name: 'Save policy for production' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const environments = await api('GET', '/environments');
      expect(environments.environments.find((e: { name: string }) => e.name === 'production').policy).toEqual(
        { minRole: 'editor', requireApproval: true },
      );

      // Turning the gate back on now needs approval: the refusal offers a change request.
      await page.goto(`${origin}/gates/new_checkout`);
      await page.getByRole('button', { name: 'Turn on everywhere' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Reason').fill('timeouts fixed in 2.3.1');
      await dialog.getByRole('button', { name: 'Turn on', exact: true }).click();
      const offer = dialog.getByRole('alert').filter({ hasText: 'second person’s approval' });
      await offer.waitFor();
      await shoot('18-approval-required');
      await offer.getByRole('button', { name: 'Request approval' }).click();
      const link = dialog.getByTestId('change-request-link');
      await link.waitFor();
      const id = Number((await link.textContent())?.replace('#', ''));
      expect((await api('GET', '/gates/new_checkout')).enabled).toBe(false);
      await link.click();
      await page.getByRole('heading', { name: `Change request #${id}` }).waitFor();
      await expect
        .poll(() => nav.getByRole('link', { name: /^Change requests/ }).textContent())
        .toBe('Change requests1 pending');
      await expect
        .poll(() => page.getByTestId('change-request-environments').textContent())
        .toBe('production');
      await page.getByRole('table', { name: 'Proposed change' }).filter({ hasText: 'enabled' }).waitFor();
      // Nobody approves their own request.
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('self_approval');
      await shoot('19-change-request');

      // The editor signs in (same browser, after the admin signs out), approves and applies.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Email', { exact: true }).fill(EDITOR.email);
      await page.getByLabel('Password', { exact: true }).fill(EDITOR.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toMatch(/Ed Editor\s*editor/);
      expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
      await nav.getByRole('link', { name: /^Change requests/ }).click();
      await page
        .getByRole('table', { name: 'Change requests' })
        .getByRole('link', { name: `#${id}` })
        .click();
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(() => page.getByTestId('change-request-status').textContent())
        .toBe('Approved, not applied');
      await page.getByRole('button', { name: 'Apply now' }).click();
      await expect.poll(() => page.getByTestId('change-request-status').textContent()).toBe('Applied');
      await shoot('20-change-request-applied');
      const gate = await api('GET', '/gates/new_checkout');
      expect(gate.enabled).toBe(true);
      const evaluator = createEvaluator((await app.snapshots.current('production')).specs);
      expect(evaluator.checkGate({ userID: 'e', email: 'ada@company.com' }, 'new_checkout').value).toBe(true);
      const trail = (await api('GET', '/audit?kind=change_request')).entries.map(
        (entry: { action: string }) => entry.action,
      );
      expect(trail).toEqual(['apply', 'approve', 'request']);
      expect(pageErrors).toEqual([]);
    });
  },
);
