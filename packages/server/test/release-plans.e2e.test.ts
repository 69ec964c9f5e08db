/**
 * Release plans through the API, on SQLite and Postgres: the stages a gate serves (employees
 * stay in, raising the percentage keeps everyone in), manual and automatic rollback with the
 * evidence in the audit log, the guardrail monitor on events sent through /v1/log_event, and
 * scheduled changes that fire once and survive a restart.
 */
import { createEvaluator } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../bench/canary-simulation.js';
import { type App, buildApp } from '../src/app.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-release-test';
const SERVER = 'secret-release-test';
const START = Date.UTC(2026, 10, 26, 9, 0, 0);
const MINUTE = 60_000;

describe.each(TEST_DATABASES)('release plans on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;
  let now = START;

  const open = async () => {
    const built = await buildApp({
      database,
      clock: () => now,
      pulseIntervalMs: 0,
      // Events are read as soon as they are stored (the test's clock stands still).
      pulseCommitLagMs: 0,
      guardrailIntervalMs: 0,
      scheduleIntervalMs: 0,
    });
    await built.keys.ensure('production', 'console', CONSOLE);
    await built.keys.ensure('production', 'server', SERVER);
    return built;
  };

  beforeEach(async () => {
    now = START;
    database = await testDatabase.open();
    app = await open();
    await api('POST', '/segments', {
      name: 'employees',
      rules: [
        {
          name: 'staff',
          conditions: [
            { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] },
          ],
        },
      ],
    });
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
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await app.http.inject({
      method: method as 'GET',
      url: `/api/v1${path}`,
      headers: { authorization: `Bearer ${CONSOLE}` },
      ...(body !== undefined && { payload: body as object }),
    });
    return { status: response.statusCode, body: response.body ? response.json() : null };
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers loosely
  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await call(method, path, body);
    if (response.status >= 300)
      throw new Error(`${method} ${path} -> ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  const plan = (overrides: Record<string, unknown> = {}) => ({
    stages: [
      { name: 'Employees', segment: 'employees' },
      { name: 'Canary', percentage: 20, guardrails: ['request_timeout_rate'] },
      { name: 'Quarter', percentage: 25, guardrails: ['request_timeout_rate'] },
      { name: 'Everyone', percentage: 100 },
    ],
    ...overrides,
  });

  async function evaluator() {
    return createEvaluator((await app.snapshots.current('production')).specs);
  }
  const users = (count: number) => Array.from({ length: count }, (_, i) => ({ userID: `user-${i}` }));

  it('serves employees, then a sticky percentage that keeps everyone in as it grows', async () => {
    await api('POST', '/gates', { name: 'new_checkout', releasePlan: plan() });
    const employee = { userID: 'e-1', email: 'ada@company.com' };
    let evaluate = await evaluator();
    expect(evaluate.checkGate(employee, 'new_checkout').value).toBe(true);
    expect(users(2000).filter((user) => evaluate.checkGate(user, 'new_checkout').value)).toHaveLength(0);

    await api('POST', '/gates/new_checkout/advance');
    evaluate = await evaluator();
    const canary = users(5000).filter((user) => evaluate.checkGate(user, 'new_checkout').value);
    expect(canary.length / 5000).toBeGreaterThan(0.17);
    expect(canary.length / 5000).toBeLessThan(0.23);
    expect(evaluate.checkGate(employee, 'new_checkout').value).toBe(true);

    const release = await api('GET', '/gates/new_checkout/release');
    expect(release.stage).toMatchObject({ name: 'Canary', percentage: 20 });
    await api('POST', '/gates/new_checkout/advance');
    evaluate = await evaluator();
    const quarter = new Set(
      users(5000)
        .filter((user) => evaluate.checkGate(user, 'new_checkout').value)
        .map((user) => user.userID),
    );
    // Raising 20% to 25% keeps every canary user in.
    expect(canary.every((user) => quarter.has(user.userID))).toBe(true);
    expect(quarter.size).toBeGreaterThan(canary.length);
    // Each stage reports its own rule, so Pulse compares the units first exposed in it.
    const result = evaluate.checkGate(users(1)[0] as { userID: string }, 'new_checkout');
    expect(result.ruleID).toBe(release.plan.stages[2].ruleId);

    await api('POST', '/gates/new_checkout/advance');
    expect((await api('GET', '/gates/new_checkout/release')).plan.status).toBe('completed');
    evaluate = await evaluator();
    expect(users(500).every((user) => evaluate.checkGate(user, 'new_checkout').value)).toBe(true);
  });

  it('replaces a plan with PATCH: back to its first stage, new arms, the same salt (users stay in)', async () => {
    await api('POST', '/gates', {
      name: 'new_checkout',
      rules: [{ name: 'beta', conditions: [{ type: 'public' }], passPercentage: 0 }],
    });
    const first = await api('PATCH', '/gates/new_checkout', { releasePlan: plan() });
    expect(first.rules).toHaveLength(1);
    await api('POST', '/gates/new_checkout/advance');
    const replaced = await api('PATCH', '/gates/new_checkout', {
      releasePlan: plan({
        stages: [
          { name: 'Canary', percentage: 20 },
          { name: 'Everyone', percentage: 100 },
        ],
      }),
    });
    expect(replaced.releasePlan).toMatchObject({
      current: 0,
      status: 'active',
      salt: first.releasePlan.salt,
    });
    expect(replaced.releasePlan.stages[0].ruleId).not.toBe(first.releasePlan.stages[1].ruleId);
    // The gate's own rules come first and are untouched.
    expect(replaced.rules).toEqual(first.rules);
    const removed = await api('PATCH', '/gates/new_checkout', { releasePlan: null });
    expect(removed.releasePlan).toBeNull();
  });

  it('refuses bad plans with a code and the field', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ stages: [{ name: 'x' }] }, 400, 'invalid_request', 'releasePlan.stages.0.percentage'],
      [
        plan({
          stages: [
            { name: 'a', percentage: 50 },
            { name: 'b', percentage: 5 },
          ],
        }),
        400,
        'invalid_request',
        'releasePlan.stages.1.percentage',
      ],
      [
        plan({ stages: [{ name: 'a', segment: 'nobody' }] }),
        400,
        'unknown_gate',
        'releasePlan.stages.0.segment',
      ],
      [
        plan({ stages: [{ name: 'a', percentage: 5, guardrails: ['nope'] }] }),
        400,
        'unknown_metric',
        'releasePlan.stages.0.guardrails.0',
      ],
    ];
    for (const [releasePlan, status, code, field] of cases) {
      const response = await call('POST', '/gates', { name: 'bad_gate', releasePlan });
      expect(response.status, JSON.stringify(releasePlan)).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(JSON.stringify(response.body.error.details)).toContain(field);
    }
    await api('POST', '/metrics', { name: 'checkout', type: 'conversion', numerator: { event: 'purchase' } });
    const notGuardrail = await call('POST', '/gates', {
      name: 'bad_gate',
      releasePlan: plan({ stages: [{ name: 'a', percentage: 5, guardrails: ['checkout'] }] }),
    });
    expect(notGuardrail.body.error).toMatchObject({ code: 'not_a_guardrail' });
    await api('POST', '/gates', { name: 'no_plan' });
    expect((await call('POST', '/gates/no_plan/advance')).body.error.code).toBe('no_release_plan');
  });

  it('rolls back by hand: the previous stage, a kill switch, or one environment', async () => {
    // `staging` exists from the start, beside `production`.
    await api('POST', '/gates', {
      name: 'new_checkout',
      releasePlan: plan({ onRegression: 'previous_stage' }),
    });
    await api('POST', '/gates/new_checkout/advance');
    await api('POST', '/gates/new_checkout/advance');
    const back = await api('POST', '/gates/new_checkout/rollback', { reason: 'support tickets' });
    expect(back.releasePlan).toMatchObject({ current: 1, status: 'paused' });
    expect(back.releasePlan.lastRollback).toMatchObject({ fromStage: 2, action: 'previous_stage' });
    expect(back.enabled).toBe(true);

    const staging = await api('POST', '/gates/new_checkout/rollback', {
      environments: ['staging'],
      action: 'kill',
    });
    expect(staging.disabledIn).toEqual(['staging']);
    const specs = async (environment: string) =>
      (await app.snapshots.current(environment)).specs.feature_gates.find(
        (spec) => spec.name === 'new_checkout',
      );
    expect((await specs('staging'))?.enabled).toBe(false);
    expect((await specs('production'))?.enabled).toBe(true);

    const killed = await api('POST', '/gates/new_checkout/rollback', { action: 'kill' });
    expect(killed).toMatchObject({ enabled: false });
    expect(killed.releasePlan.status).toBe('rolled_back');
    const audit = await api('GET', '/audit?kind=gate&name=new_checkout');
    expect(audit.entries[0]).toMatchObject({ action: 'rollback', reason: null });
    expect(audit.entries[0].revision).toBeGreaterThan(audit.entries[1].revision);

    const resumed = await api('POST', '/gates/new_checkout/resume-release', { stage: 1 });
    expect(resumed).toMatchObject({ enabled: true, disabledIn: [] });
    expect(resumed.releasePlan).toMatchObject({ status: 'active', current: 1 });
  });

  it('the monitor rolls a regressing canary back with the evidence, and leaves a healthy one alone', async () => {
    await api('POST', '/gates', { name: 'new_checkout', releasePlan: plan() });
    await api('POST', '/gates/new_checkout/advance');
    // Healthy first: same timeout rate in both arms.
    await sendTrafficFor(await inSplit(0, 3000), { canaryRate: 0.03, controlRate: 0.03, seed: 5 });
    now += MINUTE;
    const healthy = await api('POST', '/release-monitor/run');
    expect(healthy.looks).toHaveLength(1);
    expect(healthy.looks[0]).toMatchObject({ gate: 'new_checkout', acted: 'nothing' });
    expect(healthy.looks[0].assessment.outcome).toBe('hold');
    expect(healthy.looks[0].assessment.evidence.units.canary).toBeGreaterThan(400);
    expect((await api('GET', '/gates/new_checkout')).enabled).toBe(true);

    // Then new users hit a canary that times out five times as often.
    const more = await inSplit(100_000, 3000);
    const before = now;
    now += MINUTE;
    await sendTrafficFor(more, { canaryRate: 0.15, controlRate: 0.03, seed: 6 });
    const looked = await api('POST', '/release-monitor/run');
    expect(looked.looks[0]).toMatchObject({ acted: 'rolled_back' });
    const gate = await api('GET', '/gates/new_checkout');
    expect(gate.enabled).toBe(false);
    expect(gate.releasePlan.status).toBe('rolled_back');

    const [entry] = (await api('GET', '/audit?kind=gate&name=new_checkout')).entries;
    expect(entry).toMatchObject({ actor: 'system:guardrail-monitor', action: 'rollback' });
    expect(entry.at).toBeGreaterThan(before);
    expect(entry.reason).toMatch(/request_timeout_rate regressed: \+\d/);
    const evidence = entry.diff.after.releasePlan.lastRollback.evidence;
    expect(evidence.guardrails[0]).toMatchObject({ metric: 'request_timeout_rate', regression: true });
    expect(evidence.guardrails[0].canary.mean).toBeGreaterThan(evidence.guardrails[0].control.mean);
    expect(evidence.units.canary + evidence.units.control).toBe(6000);
    expect(evidence.srm.mismatch).toBe(false);

    const release = await api('GET', '/gates/new_checkout/release');
    expect(release.checks.map((check: { outcome: string }) => check.outcome)).toEqual([
      'rollback:regression',
      'hold:healthy',
    ]);
    // A rolled-back release is no longer watched.
    expect((await api('POST', '/release-monitor/run')).looks).toHaveLength(0);
  });

  /**
   * `count` users in the 20% stage's exact 20/80 split. The plan's salt is random, so which
   * users pass differs per run; an exact split keeps the sample-ratio check from holding a look
   * by chance (it would, about once in a hundred runs).
   */
  async function inSplit(from: number, count: number) {
    const evaluate = await evaluator();
    const passing: { userID: string }[] = [];
    const failing: { userID: string }[] = [];
    for (let i = from; passing.length < count * 0.2 || failing.length < count * 0.8; i++) {
      const user = { userID: `user-${i}` };
      const list = evaluate.checkGate(user, 'new_checkout').value ? passing : failing;
      if (list.length < count * (list === passing ? 0.2 : 0.8)) list.push(user);
    }
    return [...passing, ...failing];
  }

  async function sendTrafficFor(
    list: { userID: string }[],
    options: { canaryRate: number; controlRate: number; seed: number },
  ) {
    const evaluate = await evaluator();
    const random = seededRandom(options.seed);
    const events: object[] = [];
    for (const user of list) {
      const result = evaluate.checkGate(user, 'new_checkout');
      events.push({
        eventName: 'statsig::gate_exposure',
        time: now,
        user,
        metadata: { gate: 'new_checkout', gateValue: String(result.value), ruleID: result.ruleID },
      });
      const rate = result.value ? options.canaryRate : options.controlRate;
      for (let request = 0; request < 10; request++) {
        events.push({
          eventName: 'request',
          time: now,
          user,
          metadata: { outcome: random() < rate ? 'timeout' : 'ok' },
        });
      }
    }
    const response = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json' },
      payload: JSON.stringify({ events, statsigMetadata: { sdkType: 'test' } }),
    });
    expect(response.statusCode).toBe(202);
  }

  it('advances a healthy stage by itself once its minimum duration and units are reached', async () => {
    await api('POST', '/gates', {
      name: 'new_checkout',
      releasePlan: plan({
        autoAdvance: true,
        stages: [
          { name: 'Employees', segment: 'employees', minDurationMinutes: 10 },
          {
            name: 'Canary',
            percentage: 20,
            minDurationMinutes: 30,
            minUnits: 1000,
            guardrails: ['request_timeout_rate'],
          },
          { name: 'Everyone', percentage: 100 },
        ],
      }),
    });
    now += 5 * MINUTE;
    expect((await api('POST', '/release-monitor/run')).looks[0].acted).toBe('nothing');
    now += 6 * MINUTE;
    expect((await api('POST', '/release-monitor/run')).looks[0].acted).toBe('advanced');
    await sendTrafficFor(await inSplit(0, 3000), { canaryRate: 0.03, controlRate: 0.03, seed: 9 });
    now += 10 * MINUTE;
    const early = (await api('POST', '/release-monitor/run')).looks[0];
    expect(early.acted).toBe('nothing');
    expect(early.assessment.reasons.join(' ')).toMatch(/of 30 minutes/);
    now += 25 * MINUTE;
    expect((await api('POST', '/release-monitor/run')).looks[0].acted).toBe('advanced');
    const [entry] = (await api('GET', '/audit?kind=gate&name=new_checkout')).entries;
    expect(entry).toMatchObject({ actor: 'system:guardrail-monitor', action: 'advance' });
    expect((await api('GET', '/gates/new_checkout/release')).plan.status).toBe('completed');
  });

  it('fires a scheduled stage change once, after a restart, and not for a cancelled one', async () => {
    await api('POST', '/gates', { name: 'new_checkout', releasePlan: plan() });
    const scheduled = await api('POST', '/scheduled-changes', {
      name: 'new_checkout',
      action: 'advance',
      at: new Date(START + 30 * MINUTE).toISOString(),
      reason: 'canary at 09:30',
    });
    expect(scheduled).toMatchObject({ status: 'pending', kind: 'gate', action: 'advance' });
    const cancelled = await api('POST', '/scheduled-changes', {
      name: 'new_checkout',
      action: 'disable',
      at: START + 40 * MINUTE,
    });
    await api('DELETE', `/scheduled-changes/${cancelled.id}`);
    expect((await call('DELETE', `/scheduled-changes/${cancelled.id}`)).body.error.code).toBe('not_pending');

    now += 10 * MINUTE;
    expect(await app.scheduler.runDue()).toHaveLength(0);
    // The server restarts before the change is due; the schedule is in the database.
    await app.http.close();
    app = await open();
    now += 50 * MINUTE;
    // Two server instances on one database look at once: the change fires once.
    const other = await open();
    const [first, second] = await Promise.all([app.scheduler.runDue(), other.scheduler.runDue()]);
    await other.http.close();
    expect([...first, ...second].filter((change) => change.id === scheduled.id)).toHaveLength(1);
    expect(await app.scheduler.runDue()).toHaveLength(0);

    const gate = await api('GET', '/gates/new_checkout');
    expect(gate.enabled).toBe(true);
    expect(gate.releasePlan.current).toBe(1);
    const entries = (await api('GET', '/audit?kind=gate&name=new_checkout')).entries;
    expect(entries.filter((entry: { action: string }) => entry.action === 'advance')).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: `schedule:${scheduled.id}`, reason: 'canary at 09:30' });
    const done = await api('GET', '/scheduled-changes?name=new_checkout');
    expect(done.changes.map((change: { status: string }) => change.status).sort()).toEqual([
      'cancelled',
      'done',
    ]);
    const scheduleAudit = await api('GET', '/audit?kind=scheduled_change');
    expect(scheduleAudit.entries.map((entry: { action: string }) => entry.action)).toEqual([
      'cancel',
      'schedule',
      'schedule',
    ]);
  });

  it('refuses bad schedules with a code and the field', async () => {
    await api('POST', '/gates', { name: 'g' });
    const cases: [object, string, string][] = [
      [{ name: 'g', action: 'explode', at: START + MINUTE }, 'unknown_action', 'action'],
      [{ kind: 'widget', name: 'g', action: 'advance', at: START + MINUTE }, 'unknown_kind', 'kind'],
      [{ name: 'g', action: 'advance', at: START - 2 * MINUTE }, 'in_the_past', 'at'],
      [
        { name: 'g', action: 'advance', body: { stage: -1 }, at: START + MINUTE },
        'invalid_body',
        'body.stage',
      ],
      [{ name: 'missing', action: 'advance', at: START + MINUTE }, 'not_found', ''],
    ];
    for (const [body, code, field] of cases) {
      const response = await call('POST', '/scheduled-changes', body);
      expect(response.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body.error.code).toBe(code);
      if (field) expect(response.body.error.details.field).toBe(field);
    }
  });
});
