/**
 * `switchyard demo` tells the whole story on a fresh database: the guardrail monitor rolls the
 * canary back by itself, every app server receives it by push, the server counts their
 * acknowledgements, the webhook goes out, and the data stays for the console.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@switchyard/server';
import { afterAll, expect, it } from 'vitest';
import { runDemo } from '../src/demo/run-demo.js';

let directory: string | undefined;
afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

it('rolls the regressing canary back and shows the rollback reached every app server', async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchyard-demo-test-'));
  const lines: string[] = [];
  const report = await runDemo({
    dataDir: join(directory, 'data'),
    print: (line) => lines.push(line),
    appServers: 3,
    employeesSeconds: 2,
    monitorIntervalMs: 1000,
    maxCanarySeconds: 60,
  });
  const output = lines.join('\n');
  expect(report.rolledBack, output).toBe(true);
  expect(report.units?.canary).toBeGreaterThan(0);
  // The canary is 5% of customers: its units are a small share of the stage's.
  expect(
    (report.units?.canary ?? 0) / ((report.units?.canary ?? 0) + (report.units?.control ?? 1)),
  ).toBeLessThan(0.1);
  expect(report.sdkReachedMs).toHaveLength(3);
  expect(report.convergence).toMatchObject({ instances: 3, reached: 3 });
  expect(report.convergence?.p100Ms).not.toBeNull();
  expect(report.webhookDelivered).toBe(true);
  for (const expected of [
    'Stage 1: Employees',
    'Stage 2: Canary 5%',
    'ROLLED BACK by system:guardrail-monitor',
    'request_timeout_rate regressed',
    'Rollback reached 3 of 3 app servers',
    'request_timeout_rate',
  ]) {
    expect(output).toContain(expected);
  }

  // The data stays: the rollback and its evidence are in the audit log of the demo's database.
  const database = await openDatabase(join(directory, 'data', 'switchyard.db'));
  try {
    const entry = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor', '=', 'system:guardrail-monitor')
      .where('action', '=', 'rollback')
      .executeTakeFirst();
    expect(entry?.name).toBe('new_checkout');
    expect(JSON.parse(entry?.diff ?? '{}').after.releasePlan.lastRollback.evidence.guardrails[0].metric).toBe(
      'request_timeout_rate',
    );
  } finally {
    await database.close();
  }
});
