/**
 * Config as code end to end: `switchyard export` of a server holding every kind of object, then
 * `switchyard apply` of those files into an empty server, which then compiles the same specs and
 * buckets every user alike; a second apply changes nothing; `--dry-run` shows the diff and changes
 * nothing; bad files are refused with the file and line; a stale plan is refused by If-Match.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Switchyard } from '@switchyard/node';
import { applyLines } from '@switchyard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ApiClient, ApiError } from '../src/api-client.js';
import { readDirectory } from '../src/config-as-code/documents.js';
import { executePlan, makePlan, readServerState } from '../src/config-as-code/plan.js';
import { apiFor, cliFor, startTestServer, type TestServer } from './support/harness.js';

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';
const SLACK_VARIABLE = 'SWITCHYARD_WEBHOOK_SLACK_ALERTS_URL';
const BETA_IDS = ['u-1', 'u-2', 'u-3'];

let source: TestServer;
let target: TestServer;
let directory: string;
let sourceApi: ReturnType<typeof apiFor>;
let targetApi: ReturnType<typeof apiFor>;
/** Server keys of each server's staging environment. */
const stagingKeys = new Map<TestServer, string>();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source server with every kind of object, in the states config as code must reproduce. */
async function populate(api: ReturnType<typeof apiFor>, server: TestServer) {
  await api('POST', '/environments', { name: 'qa' });
  await api('PUT', '/environments/qa/policy', { minRole: 'admin', requireApproval: false });
  await api('POST', '/metrics', {
    name: 'checkout_conversion',
    type: 'conversion',
    numerator: { event: 'purchase' },
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
  await api('POST', '/metrics', { name: 'revenue', type: 'sum', numerator: { event: 'purchase' } });
  const upload = await fetch(`${server.url}/api/v1/id_lists/beta_users`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.consoleKey}`, 'content-type': 'text/plain' },
    body: BETA_IDS.join('\n'),
  });
  expect(upload.status).toBe(201);
  await api('POST', '/segments', {
    name: 'employees',
    rules: [
      { name: 'staff', conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@co.com'] }] },
    ],
  });
  await api('POST', '/segments', { name: 'beta', idList: 'beta_users' });
  await api('POST', '/gates', {
    name: 'new_checkout',
    description: 'The new checkout flow',
    tags: ['checkout'],
    owner: 'payments',
    rules: [
      { name: 'employees', conditions: [{ type: 'pass_gate', value: 'segment:employees' }] },
      { name: 'canary', passPercentage: 5, conditions: [{ type: 'public' }] },
      {
        name: 'staging half',
        passPercentage: 50,
        environments: ['staging'],
        conditions: [{ type: 'public' }],
      },
    ],
  });
  await api('POST', '/gates/new_checkout/disable', { environments: ['qa'] });
  await api('POST', '/gates', {
    name: 'dark_mode',
    rules: [
      { name: 'beta', conditions: [{ type: 'pass_gate', value: 'segment:beta' }] },
      {
        name: 'checkout users',
        passPercentage: 30,
        conditions: [{ type: 'pass_gate', value: 'new_checkout' }],
      },
    ],
  });
  await api('POST', '/gates', {
    name: 'killed',
    enabled: false,
    rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
  });
  await api('POST', '/gates', {
    name: 'released',
    releasePlan: {
      stages: [
        { name: 'Employees', segment: 'employees' },
        { name: 'Canary', percentage: 5, guardrails: ['request_timeout_rate'] },
        { name: 'Everyone', percentage: 100 },
      ],
      autoAdvance: true,
    },
  });
  await api('POST', '/configs', {
    name: 'checkout_config',
    defaultValue: { retries: 1 },
    rules: [
      { name: 'more retries', passPercentage: 20, value: { retries: 3 }, conditions: [{ type: 'public' }] },
    ],
  });
  await api('POST', '/layers', { name: 'pricing', defaultValue: { price: 10, banner: 'none' } });
  const layered = (name: string, parameter: string, values: [unknown, unknown], allocationPercent: number) =>
    api('POST', '/experiments', {
      name,
      layer: 'pricing',
      allocationPercent,
      groups: [
        { name: 'Control', weight: 50, parameters: { [parameter]: values[0] } },
        { name: 'Test', weight: 50, parameters: { [parameter]: values[1] } },
      ],
    });
  await layered('price_a', 'price', [10, 12], 30);
  await layered('stopped_in_layer', 'banner', ['none', 'red'], 20);
  await layered('banner_b', 'banner', ['none', 'blue'], 40);
  // Started in this order, and one stopped after the others started: the slots each got depend on it.
  await api('POST', '/experiments/price_a/start');
  await pause(5);
  await api('POST', '/experiments/stopped_in_layer/start');
  await pause(5);
  await api('POST', '/experiments/banner_b/start');
  await pause(5);
  await api('POST', '/experiments/stopped_in_layer/stop');
  await api('POST', '/experiments', {
    name: 'standalone',
    allocationPercent: 50,
    targetingGate: 'new_checkout',
    groups: [
      { name: 'Control', weight: 34, parameters: { color: 'grey' } },
      { name: 'Blue', weight: 33, parameters: { color: 'blue' } },
      { name: 'Green', weight: 33, parameters: { color: 'green' } },
    ],
  });
  await api('POST', '/experiments/standalone/start');
  await api('POST', '/experiments', {
    name: 'old_test',
    groups: [
      { name: 'Control', weight: 50 },
      { name: 'Test', weight: 50, parameters: { on: true } },
    ],
  });
  await api('POST', '/experiments/old_test/start');
  await api('POST', '/experiments/old_test/ship', { group: 'Test' });
  await api('POST', '/experiments', { name: 'draft_test', overrides: [{ group: 'Test', ids: ['qa-user'] }] });
  await api('POST', '/webhooks', {
    name: 'alerts',
    url: 'http://hooks.example.com/switchyard',
    events: ['guardrail.*'],
  });
  await api('POST', '/webhooks', { name: 'slack_alerts', url: SLACK_URL, format: 'slack' });
}

async function dcs(server: TestServer, environment: 'production' | 'staging') {
  const key = environment === 'production' ? server.serverKey : stagingKeys.get(server);
  const response = await fetch(`${server.url}/v1/download_config_specs/${key}.json`);
  expect(response.status).toBe(200);
  return response.json() as Promise<{
    time: number;
    feature_gates: { name: string }[];
    dynamic_configs: { name: string }[];
    layer_configs: { name: string }[];
    layers?: Record<string, string[]>;
  }>;
}

/**
 * The compiled specs, sorted by name. A release plan's stage rules get fresh ids when the plan
 * is created on another server (they name Pulse arms: `release-<plan id>-<stage>`); bucketing
 * uses the plan's salt, which is kept, so only the id's middle is masked here.
 */
function specsOf(payload: Awaited<ReturnType<typeof dcs>>) {
  const sorted = (list: { name: string }[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
  const masked = JSON.parse(
    JSON.stringify(payload).replace(/"release-[0-9a-f]{8}-(\d+)"/g, '"release-*-$1"'),
  );
  return {
    feature_gates: sorted(masked.feature_gates),
    dynamic_configs: sorted(masked.dynamic_configs),
    layer_configs: sorted(masked.layer_configs),
    layers: masked.layers ?? {},
  };
}

async function lastAudit(api: ReturnType<typeof apiFor>) {
  return (await api('GET', '/audit?limit=1')).entries[0]?.id as number;
}

async function listEntries(server: TestServer, api: ReturnType<typeof apiFor>, name: string) {
  const record = await api('GET', `/id_lists/${name}`);
  const entries = new Set<string>();
  applyLines(entries, await (await fetch(`${server.url}/v1/id_list_files/${record.fileId}`)).text());
  return entries;
}

// Starting servers (and writing a fixture over HTTP) can outlast the default hook timeout on a busy machine.
beforeAll(async () => {
  [source, target] = await Promise.all([startTestServer(), startTestServer()]);
  sourceApi = apiFor(source);
  targetApi = apiFor(target);
  for (const [server, api] of [
    [source, sourceApi],
    [target, targetApi],
  ] as const) {
    stagingKeys.set(server, (await api('POST', '/keys', { environment: 'staging', kind: 'server' })).secret);
  }
  await populate(sourceApi, source);
  directory = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
}, 60_000);
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('export, then apply into an empty server', () => {
  it('exports one YAML file per object, with salts and rule ids, and no secrets', async () => {
    const exported = await cliFor(source)(['export', '-o', directory]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(
      /Exported 24 objects to .*: 4 environments, 3 metrics, 1 id lists, 2 segments, 4 gates, 1 configs, 1 layers, 6 experiments, 2 webhooks\./,
    );
    expect(exported.stderr).toContain(
      `webhooks/slack_alerts.yaml: its URL is a secret, so the file names \${env:${SLACK_VARIABLE}}`,
    );

    const gate = parse(await readFile(join(directory, 'gates/new_checkout.yaml'), 'utf8'));
    const stored = await sourceApi('GET', '/gates/new_checkout');
    expect(gate).toMatchObject({
      name: 'new_checkout',
      salt: stored.salt,
      disabledIn: ['qa'],
      owner: 'payments',
    });
    expect(gate.rules.map((rule: { id: string; salt: string }) => [rule.id, rule.salt])).toEqual(
      stored.rules.map((rule: { id: string; salt: string }) => [rule.id, rule.salt]),
    );
    expect(gate).not.toHaveProperty('version');
    const slack = await readFile(join(directory, 'webhooks/slack_alerts.yaml'), 'utf8');
    expect(slack).toContain(`url: \${env:${SLACK_VARIABLE}}`);
    expect(slack).not.toContain('hooks.slack.com');
    const experiment = parse(await readFile(join(directory, 'experiments/banner_b.yaml'), 'utf8'));
    expect(experiment).toMatchObject({ status: 'running', layer: 'pricing' });
    expect(typeof experiment.startedAt).toBe('string');
    expect(parse(await readFile(join(directory, 'id_lists/beta_users.yaml'), 'utf8'))).toEqual({
      name: 'beta_users',
    });
    expect(parse(await readFile(join(directory, 'environments/qa.yaml'), 'utf8'))).toEqual({
      name: 'qa',
      policy: { minRole: 'admin', requireApproval: false },
    });

    // Exporting again writes the same bytes: the files diff only when the server changed.
    const before = await readFile(join(directory, 'experiments/standalone.yaml'), 'utf8');
    const again = await cliFor(source)(['export', '-o', directory, '--json']);
    expect(JSON.parse(again.stdout).removed).toEqual([]);
    expect(await readFile(join(directory, 'experiments/standalone.yaml'), 'utf8')).toBe(before);

    // The server keeps hashes of IDs: the list's members are managed from a file next to it.
    await writeFile(join(directory, 'id_lists/beta_users.txt'), `${BETA_IDS.join('\n')}\n`);
    await writeFile(
      join(directory, 'id_lists/beta_users.yaml'),
      stringify({ name: 'beta_users', file: 'beta_users.txt' }),
    );
  });

  it('reproduces the same compiled specs, so every user gets the same value', async () => {
    const applied = await cliFor(target)(['apply', '-f', directory], {
      env: { [SLACK_VARIABLE]: SLACK_URL },
    });
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout).toContain('+ gates/new_checkout will be created');
    // The three default environments exist on every server already.
    expect(applied.stdout).toContain('Applied: 21 created, 0 changed, 0 deleted.');
    expect(applied.stdout).toMatch(/Webhook alerts: its signing secret, shown only now: [0-9a-f]{64}/);

    for (const environment of ['production', 'staging'] as const) {
      const [expected, actual] = await Promise.all([dcs(source, environment), dcs(target, environment)]);
      expect(specsOf(actual), environment).toEqual(specsOf(expected));
      expect(expected.feature_gates.length).toBeGreaterThan(4);
    }
    expect(await listEntries(target, targetApi, 'beta_users')).toEqual(
      await listEntries(source, sourceApi, 'beta_users'),
    );
    expect((await targetApi('GET', '/webhooks/slack_alerts')).url).toBe(SLACK_URL);
    expect(
      (await targetApi('GET', '/environments')).environments.find((e: { name: string }) => e.name === 'qa')
        .policy,
    ).toEqual({
      minRole: 'admin',
      requireApproval: false,
    });

    // The same users in the same buckets, through the SDK, on each server's specs.
    const sdks = await Promise.all(
      [source, target].map(async (server) =>
        Switchyard.init({
          serverKey: server.serverKey,
          localMode: true,
          bootstrap: JSON.stringify(await dcs(server, 'production')),
        }),
      ),
    );
    const [a, b] = sdks as [Switchyard, Switchyard];
    const tally = { checkout: 0, price: 0, banner: 0, standalone: 0 };
    for (let i = 0; i < 2000; i++) {
      const user = { userID: `user-${i}`, email: i % 10 === 0 ? `p${i}@co.com` : `p${i}@example.com` };
      for (const gate of ['new_checkout', 'dark_mode', 'killed', 'released']) {
        expect(b.checkGate(user, gate), `${gate} ${user.userID}`).toBe(a.checkGate(user, gate));
      }
      for (const experiment of ['price_a', 'banner_b', 'standalone', 'old_test', 'stopped_in_layer']) {
        const [left, right] = [a.getExperiment(user, experiment), b.getExperiment(user, experiment)];
        expect([right.groupName, right.ruleID, right.value]).toEqual([
          left.groupName,
          left.ruleID,
          left.value,
        ]);
      }
      expect(b.getLayer(user, 'pricing').get('price', 0)).toBe(a.getLayer(user, 'pricing').get('price', 0));
      expect(b.getConfig(user, 'checkout_config').value).toEqual(a.getConfig(user, 'checkout_config').value);
      if (a.checkGate(user, 'new_checkout')) tally.checkout++;
      if (a.getExperiment(user, 'price_a').groupName) tally.price++;
      if (a.getExperiment(user, 'banner_b').groupName) tally.banner++;
      if (a.getExperiment(user, 'standalone').groupName) tally.standalone++;
    }
    await Promise.all(sdks.map((sdk) => sdk.shutdown()));
    // Not vacuous: the gates and experiments do split the users.
    expect(tally.checkout).toBeGreaterThan(200);
    expect(tally.price).toBeGreaterThan(400);
    expect(tally.banner).toBeGreaterThan(600);
    expect(tally.standalone).toBeGreaterThan(50);
  });

  it('a second apply changes nothing', async () => {
    const auditBefore = await lastAudit(targetApi);
    const timeBefore = (await dcs(target, 'production')).time;
    const again = await cliFor(target)(['apply', '-f', directory], { env: { [SLACK_VARIABLE]: SLACK_URL } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /^No changes\. Plan: 0 to create, 0 to change, 0 to delete, \d+ unchanged\./m,
    );
    expect(await lastAudit(targetApi)).toBe(auditBefore);
    expect((await dcs(target, 'production')).time).toBe(timeBefore);
  });
});

describe('dry run and changes', () => {
  it('--dry-run prints the diff and changes nothing; apply then makes exactly that change', async () => {
    const path = join(directory, 'gates/new_checkout.yaml');
    const gate = parse(await readFile(path, 'utf8'));
    const canary = gate.rules.find((rule: { name: string }) => rule.name === 'canary');
    canary.passPercentage = 25;
    await writeFile(path, stringify(gate));
    // Hand-written: no salt, no rule ids (the server makes them; later applies keep them).
    await writeFile(
      join(directory, 'gates/brand_new.yaml'),
      'description: written by hand\nrules:\n  - name: everyone\n    passPercentage: 10\n    conditions:\n      - type: public\n',
    );
    await writeFile(join(directory, 'id_lists/beta_users.txt'), 'u-1\nu-2\nu-4\n');

    const auditBefore = await lastAudit(targetApi);
    const timeBefore = (await dcs(target, 'production')).time;
    const env = { [SLACK_VARIABLE]: SLACK_URL };
    const dry = await cliFor(target)(['apply', '-f', directory, '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('~ gates/new_checkout will be changed');
    expect(dry.stdout).toContain('--- a/gates/new_checkout.yaml');
    expect(dry.stdout).toContain('+++ b/gates/new_checkout.yaml');
    expect(dry.stdout).toMatch(/^ {4}- {4}passPercentage: 5$/m);
    expect(dry.stdout).toMatch(/^ {4}\+ {4}passPercentage: 25$/m);
    expect(dry.stdout).toContain('+ gates/brand_new will be created');
    expect(dry.stdout).toContain('~ id_lists/beta_users will be changed');
    expect(dry.stdout).toContain('IDs: +1 -1');
    expect(dry.stdout).toContain('Plan: 1 to create, 2 to change, 0 to delete');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect(await lastAudit(targetApi)).toBe(auditBefore);
    expect((await dcs(target, 'production')).time).toBe(timeBefore);

    const json = JSON.parse((await cliFor(target)(['plan', '-f', directory, '--json'], { env })).stdout);
    expect(json.summary).toMatchObject({ create: 1, update: 2, delete: 0 });
    expect(json.changes.find((c: { name: string }) => c.name === 'new_checkout')).toMatchObject({
      kind: 'gates',
      action: 'update',
      steps: ['change gate new_checkout'],
    });
    expect(await lastAudit(targetApi)).toBe(auditBefore);

    const before = await targetApi('GET', '/gates/new_checkout');
    const applied = await cliFor(target)(['apply', '-f', directory, '--reason', 'PR #7'], { env });
    expect(applied.code, applied.stderr).toBe(0);
    const after = await targetApi('GET', '/gates/new_checkout');
    const rule = (gate: { rules: { name: string; id: string; salt: string; passPercentage: number }[] }) =>
      gate.rules.find((r) => r.name === 'canary');
    // Raised in place: the same rule id and salt, so everyone already in stays in.
    expect(rule(after)).toMatchObject({ id: rule(before)?.id, salt: rule(before)?.salt, passPercentage: 25 });
    expect(after.version).toBe(before.version + 1);
    expect((await targetApi('GET', '/audit?kind=gate&name=new_checkout&limit=1')).entries[0].reason).toBe(
      'PR #7',
    );
    const expected = new Set([...['u-1', 'u-2', 'u-4']].map((id) => id));
    expect((await listEntries(target, targetApi, 'beta_users')).size).toBe(expected.size);

    const settled = await cliFor(target)(['apply', '-f', directory], { env });
    expect(settled.stdout).toMatch(/^No changes\./m);
  });

  it('keeps objects only on the server unless --prune deletes them (where the API can)', async () => {
    await targetApi('POST', '/webhooks', { name: 'extra', url: 'http://example.com/extra' });
    await targetApi('POST', '/gates', { name: 'server_only' });
    const env = { [SLACK_VARIABLE]: SLACK_URL };
    const plan = await cliFor(target)(['plan', '-f', directory], { env });
    expect(plan.stdout).toContain('? webhooks/extra is only on the server');
    expect(plan.stdout).toContain('kept: only on the server (--prune deletes it)');
    expect(plan.stdout).toContain('? gates/server_only is only on the server');
    expect(plan.stdout).toContain('the API does not delete gates; disable it instead');
    expect(plan.stdout).toMatch(/^No changes\./m);

    const pruned = await cliFor(target)(['apply', '-f', directory, '--prune'], { env });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('- webhooks/extra will be deleted');
    const webhooks = (await targetApi('GET', '/webhooks')).webhooks.map((w: { name: string }) => w.name);
    expect(webhooks.sort()).toEqual(['alerts', 'slack_alerts']);
    expect((await targetApi('GET', '/gates/server_only')).name).toBe('server_only');
  });

  it('refuses a change made on a version someone changed since the plan was read (If-Match)', async () => {
    const path = join(directory, 'gates/killed.yaml');
    const gate = parse(await readFile(path, 'utf8'));
    gate.description = 'planned change';
    await writeFile(path, stringify(gate));
    const api = new ApiClient({ url: target.url, key: target.consoleKey, keySource: 'test', configPath: '' });
    const contents = await readDirectory(directory, { [SLACK_VARIABLE]: SLACK_URL });
    const plan = await makePlan(api, contents, await readServerState(api, [...contents.keys()]), {
      prune: false,
      cwd: directory,
    });
    expect(plan.changes.find((change) => change.name === 'killed')?.action).toBe('update');
    await targetApi('PATCH', '/gates/killed', { owner: 'someone else' });

    const io = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdin: process.stdin,
      env: {},
      cwd: directory,
    };
    const failure = await executePlan(plan, { api, io, reason: undefined }, () => {}).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe('version_conflict');
    expect((failure as ApiError).message).toContain('change gate killed failed');
    expect((failure as ApiError).hint).toContain('run the command again');
    expect((await targetApi('GET', '/gates/killed')).description).toBe('');
  });
});

describe('progress', () => {
  it('draws a bar on a terminal while a large ID list uploads, and none elsewhere', async () => {
    const big = await mkdtemp(join(tmpdir(), 'switchyard-big-list-'));
    try {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(big, 'id_lists'));
      // About 450 kB: above the size from which a bar is worth drawing (256 kB).
      const ids = Array.from({ length: 20_000 }, (_, i) => `customer-account-${i}`);
      await writeFile(join(big, 'id_lists/customers.txt'), `${ids.join('\n')}\n`);
      await writeFile(join(big, 'id_lists/customers.yaml'), 'file: customers.txt\n');
      const dry = await cliFor(target)(['plan', '-f', big]);
      expect(dry.stdout).toContain('20,000 IDs (20,000 distinct) from');
      expect(dry.stderr).not.toContain('Uploading');

      const applied = await cliFor(target)(['apply', '-f', big], { tty: true });
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).toContain('Uploading customers [');
      expect((await targetApi('GET', '/id_lists/customers')).entryCount).toBe(20_000);
      const quiet = await cliFor(target)(['apply', '-f', big], { tty: true });
      expect(quiet.stdout).toMatch(/^No changes\./m);
      expect(quiet.stderr).not.toContain('Uploading');
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });
});

describe('bad files', () => {
  it('are refused before anything changes, each problem with its file and line', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'switchyard-bad-config-'));
    try {
      await writeFile(join(bad, 'README.md'), 'notes');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(bad, 'gates'));
      await mkdir(join(bad, 'experiments'));
      await mkdir(join(bad, 'gatez'));
      await writeFile(
        join(bad, 'gates/typo.yaml'),
        'name: typo\nenabled: yes please\nrules:\n  - name: canary\n    passPercentag: 5\n    passPercentage: 500\n',
      );
      await writeFile(join(bad, 'gates/other.yaml'), 'name: not_other\n');
      await writeFile(join(bad, 'experiments/broken.yaml'), 'name: broken\ngroups: [\n');
      const auditBefore = await lastAudit(targetApi);
      const result = await cliFor(target)(['apply', '-f', bad]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('problems in the configuration files');
      expect(result.stderr).toContain('gatez/: not a kind of object');
      expect(result.stderr).toMatch(/gates\/typo\.yaml:2: enabled: /);
      expect(result.stderr).toMatch(/gates\/typo\.yaml:5: rules\.0\.passPercentag: unknown field/);
      expect(result.stderr).toMatch(/gates\/typo\.yaml:6: rules\.0\.passPercentage: .*100/);
      expect(result.stderr).toContain('gates/other.yaml:1: name "not_other" differs from the file name');
      expect(result.stderr).toMatch(/experiments\/broken\.yaml:\d+:\d+: /);
      expect(await lastAudit(targetApi)).toBe(auditBefore);

      const missing = await cliFor(target)(['apply', '-f', join(bad, 'nope')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('does not exist');
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
