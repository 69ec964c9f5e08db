/**
 * The `switchyard` command against a real server (in-process, listening on 127.0.0.1): help,
 * errors with their fixes, exit codes, gates in an incident, keys, experiments and Pulse.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Switchyard } from '@switchyard/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, cli, cliFor, startTestServer, type TestServer } from './support/harness.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let server: TestServer;
let sy: ReturnType<typeof cliFor>;
let api: ReturnType<typeof apiFor>;
/** A port nothing listens on. */
let closedUrl: string;

// Starting servers (and writing a fixture over HTTP) can outlast the default hook timeout on a busy machine.
beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
  server = await startTestServer();
  sy = cliFor(server);
  api = apiFor(server);
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function dcsGate(name: string) {
  const response = await fetch(`${server.url}/v1/download_config_specs/${server.serverKey}.json`);
  const dcs = (await response.json()) as {
    feature_gates: { name: string; enabled: boolean; rules: unknown[] }[];
  };
  return dcs.feature_gates.find((gate) => gate.name === name);
}

describe('help', () => {
  it('explains every command, and the incident and GitOps flows', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of [
      'start',
      'migrate',
      'admin',
      'keys',
      'gates',
      'experiments',
      'pulse',
      'export',
      'apply',
    ]) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(top.stdout).toContain('switchyard gates kill new_checkout');
    expect(top.stdout).toContain('SWITCHYARD_KEY');

    const subcommands: [string[], string][] = [
      [['gates', 'kill', '--help'], 'kill switch'],
      [['gates', 'rollout', '--help'], 'Which rule changes'],
      [['gates', 'create', '--help'], '--rollout <pct>'],
      [['keys', 'create', '--help'], '--kind <kind>'],
      [['apply', '--help'], '--dry-run'],
      [['export', '--help'], 'become $' + '{env:VARIABLE}'],
      [['pulse', '--help'], 'LIFT'],
      [['admin', 'create', '--help'], '--password-stdin'],
      [['migrate', '--help'], 'DATABASE_URL'],
      [['start', '--help'], 'SWITCHYARD_DATA_DIR'],
      [['experiments', 'list', '--help'], '--json'],
    ];
    for (const [argv, expected] of subcommands) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(0);
      expect(result.stdout, argv.join(' ')).toContain(expected);
    }
  });

  it('exits 2 on a command line that is wrong, with the usage', async () => {
    const unknown = await cli(['gatez', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'gatez'");
    expect(unknown.stderr).toContain('(Did you mean gates?)');

    const percentage = await sy(['gates', 'rollout', 'x', '150']);
    expect(percentage.code).toBe(2);
    expect(percentage.stderr).toContain('a percentage from 0 to 100');

    const missing = await sy(['apply']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '-f, --file <dir>' not specified");

    const group = await cli(['gates']);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('kill');
  });

  it('runs as a process: `switchyard --help` through node', () => {
    const spawned = spawnSync(
      process.execPath,
      ['--conditions=@switchyard/source', '--import', 'tsx', MAIN, '--help'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      },
    );
    expect(spawned.stderr).toBe('');
    expect(spawned.status).toBe(0);
    expect(spawned.stdout).toContain('Usage: switchyard');
    const failed = spawnSync(
      process.execPath,
      ['--conditions=@switchyard/source', '--import', 'tsx', MAIN, 'gates', 'list'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: tmpdir(),
          SWITCHYARD_URL: closedUrl,
          SWITCHYARD_KEY: 'console-x',
        },
      },
    );
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(`cannot reach the Switchyard server at ${closedUrl} (ECONNREFUSED)`);
  });
});

describe('errors say what to do', () => {
  it('no key, an unknown key, a server key, no server', async () => {
    const none = await cli(['gates', 'list'], { env: { SWITCHYARD_URL: server.url } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no console key');
    expect(none.stderr).toMatch(
      /hint: pass --key console-\.\.\., set SWITCHYARD_KEY, or put \{"key": "console-\.\.\."\} in .*config\.json/,
    );

    const unknown = await cli(['gates', 'list', '--key', 'console-not-a-real-key'], {
      env: { SWITCHYARD_URL: server.url },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown or revoked API key');
    expect(unknown.stderr).toContain('the server does not know the console key from --key');

    const serverKey = await cli(['gates', 'list', '--key', server.serverKey, '--url', server.url]);
    expect(serverKey.code).toBe(2);
    expect(serverKey.stderr).toContain('is a server key');

    const down = await cli(['gates', 'list', '--url', closedUrl, '--key', 'console-anything']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('(ECONNREFUSED)');
    expect(down.stderr).toContain('is the server running there?');

    const badUrl = await cli(['gates', 'list', '--url', 'ftp://example.com', '--key', 'console-anything']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('not an http:// or https:// URL');
  });

  it('reads the URL and key from a config file, and says what is wrong with a broken one', async () => {
    const home = await mkdtemp(join(tmpdir(), 'switchyard-cli-config-'));
    try {
      const path = join(home, 'sy.json');
      await writeFile(path, JSON.stringify({ url: `${server.url}/api/v1/`, key: server.consoleKey }));
      const listed = await cli(['gates', 'list', '--json'], { env: { HOME: home, SWITCHYARD_CONFIG: path } });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toBeInstanceOf(Array);

      await writeFile(path, '{"url": "http://x", "token": "console-y"}');
      const broken = await cli(['gates', 'list'], { env: { HOME: home, SWITCHYARD_CONFIG: path } });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('unknown field "token"');
      expect(broken.stderr).toContain('it may hold url and key');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('a read-only key cannot change anything; a protected environment needs a change request', async () => {
    const created = await sy(['keys', 'create', '--kind', 'console', '--read-only', '--json']);
    expect(created.code).toBe(0);
    const readOnly = JSON.parse(created.stdout).secret as string;
    const refused = await cliFor(server, readOnly)(['gates', 'create', 'read_only_attempt']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('read-only');
    expect(refused.stderr).toContain('hint: this console key is read-only');
    expect((await cliFor(server, readOnly)(['gates', 'list'])).code).toBe(0);

    await api('POST', '/environments', { name: 'guarded' });
    await api('POST', '/gates', {
      name: 'guarded_gate',
      rules: [{ name: 'all', passPercentage: 5, conditions: [{ type: 'public' }] }],
    });
    await api('PUT', '/environments/guarded/policy', { minRole: 'editor', requireApproval: true });
    try {
      // Rules for every environment change what `guarded` serves: that needs a second person.
      const needsApproval = await sy(['gates', 'rollout', 'guarded_gate', '50']);
      expect(needsApproval.code).toBe(1);
      expect(needsApproval.stderr).toContain("need a second person's approval");
      expect(needsApproval.stderr).toContain('hint: guarded needs a change request: POST');
      expect(needsApproval.stderr).toContain('/api/v1/change-requests');
      // Turning it off never waits for approval.
      expect((await sy(['gates', 'kill', 'guarded_gate'])).code).toBe(0);
    } finally {
      await api('PUT', '/environments/guarded/policy', { minRole: 'editor', requireApproval: false });
    }
  });

  it('an unknown gate is a failure naming it', async () => {
    const missing = await sy(['gates', 'kill', 'no_such_gate']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('gate "no_such_gate" does not exist');
    expect(missing.stderr).toContain('switchyard gates list');
  });
});

describe('gates in an incident', () => {
  it('create, roll out (users stay in), kill, and back on', async () => {
    const created = await sy([
      'gates',
      'create',
      'new_checkout',
      '-d',
      'The new checkout',
      '--rollout',
      '5',
      '--tag',
      'checkout,web',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created gate new_checkout (version 1), on.');
    const before = await api('GET', '/gates/new_checkout');
    expect(before).toMatchObject({ description: 'The new checkout', tags: ['checkout', 'web'] });
    expect(before.rules).toMatchObject([{ name: 'Rollout', passPercentage: 5 }]);

    const raised = await sy(['gates', 'rollout', 'new_checkout', '25', '--reason', 'going well']);
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stdout).toContain('rule "Rollout" 5% -> 25% (version 2)');
    const after = await api('GET', '/gates/new_checkout');
    expect(after.rules[0]).toMatchObject({
      id: before.rules[0].id,
      salt: before.rules[0].salt,
      passPercentage: 25,
    });
    const audit = await api('GET', '/audit?kind=gate&name=new_checkout&limit=1');
    expect(audit.entries[0].reason).toBe('going well');

    const killed = await sy(['gates', 'kill', 'new_checkout', '--reason', 'INC-42']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain('new_checkout is OFF everywhere');
    expect(killed.stdout).toContain('Undo: switchyard gates enable new_checkout');
    expect((await dcsGate('new_checkout'))?.enabled).toBe(false);

    const listed = await sy(['gates', 'list']);
    expect(listed.stdout).toMatch(/new_checkout\s+OFF\s+Rollout 25%/);
    const json = JSON.parse((await sy(['gates', 'get', 'new_checkout', '--json'])).stdout);
    expect(json).toMatchObject({ name: 'new_checkout', enabled: false, version: 3 });

    const enabled = await sy(['gates', 'enable', 'new_checkout']);
    expect(enabled.stdout).toContain('new_checkout is on (version 4)');
    expect((await dcsGate('new_checkout'))?.enabled).toBe(true);

    const staging = await sy(['gates', 'disable', 'new_checkout', '--env', 'staging']);
    expect(staging.code).toBe(0);
    expect(staging.stdout).toContain('OFF in staging');
    const shown = await sy(['gates', 'get', 'new_checkout']);
    expect(shown.stdout).toContain('on (off in staging)');
    expect(shown.stdout).toContain('25% of everyone');
    expect(shown.stdout).toContain(`id ${before.rules[0].id}`);
  });

  it('rollout picks the rule for everyone, needs --rule when that is ambiguous, and adds one to a gate without rules', async () => {
    await api('POST', '/gates', {
      name: 'two_rules',
      rules: [
        {
          name: 'employees',
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@co.com'] }],
        },
        { name: 'canary', passPercentage: 5, conditions: [{ type: 'public' }] },
      ],
    });
    const picked = await sy(['gates', 'rollout', 'two_rules', '10']);
    expect(picked.stdout).toContain('rule "canary" 5% -> 10%');
    const gate = await api('GET', '/gates/two_rules');
    expect(gate.rules.map((rule: { passPercentage: number }) => rule.passPercentage)).toEqual([100, 10]);

    await api('POST', '/gates', {
      name: 'two_public',
      rules: [
        { name: 'a', passPercentage: 5, conditions: [{ type: 'public' }] },
        { name: 'b', passPercentage: 7, conditions: [{ type: 'public' }] },
      ],
    });
    const ambiguous = await sy(['gates', 'rollout', 'two_public', '20']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('2 of them for everyone');
    expect(ambiguous.stderr).toContain('--rule <id or name>');
    const named = await sy(['gates', 'rollout', 'two_public', '20', '--rule', 'b']);
    expect(named.stdout).toContain('rule "b" 7% -> 20%');
    const lowered = await sy(['gates', 'rollout', 'two_public', '1', '--rule', 'a']);
    expect(lowered.stdout).toContain('Lowering takes users out');

    await api('POST', '/gates', { name: 'no_rules' });
    const added = await sy(['gates', 'rollout', 'no_rules', '3', '--json']);
    expect(JSON.parse(added.stdout).rules).toMatchObject([
      { name: 'Rollout', passPercentage: 3, conditions: [{ type: 'public' }] },
    ]);

    await api('POST', '/gates', {
      name: 'released',
      releasePlan: {
        stages: [
          { name: '5%', percentage: 5 },
          { name: 'all', percentage: 100 },
        ],
      },
    });
    const planned = await sy(['gates', 'rollout', 'released', '50']);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain('being released by its release plan');
  });
});

describe('keys and experiments', () => {
  it('creates a key whose secret works, lists it, revokes it', async () => {
    const created = await sy(['keys', 'create', '--kind', 'server', '--env', 'production']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /(secret-\S+)/.exec(created.stdout)?.[1] as string;
    expect(secret).toBeDefined();
    const id = /server key (\S+) for production/.exec(created.stdout)?.[1] as string;
    expect((await fetch(`${server.url}/v1/download_config_specs/${secret}.json`)).status).toBe(200);

    const listed = JSON.parse((await sy(['keys', 'list', '--json'])).stdout) as {
      id: string;
      revokedAt: number | null;
    }[];
    expect(listed.find((key) => key.id === id)?.revokedAt).toBeNull();
    const table = (await sy(['keys', 'list'])).stdout;
    expect(table).toMatch(new RegExp(`${id}\\s+server\\s+production\\s+write`));

    expect((await sy(['keys', 'revoke', id])).stdout).toContain(`Revoked key ${id}`);
    // Found keys are cached for a second on the instance that served them.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fetch(`${server.url}/v1/download_config_specs/${secret}.json`)).status).toBe(401);
    const again = await sy(['keys', 'revoke', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no active key');

    const badKind = await sy(['keys', 'create', '--kind', 'root']);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('Allowed choices are server, client, console');
  });

  it('lists experiments', async () => {
    await api('POST', '/experiments', { name: 'price_test', allocationPercent: 40 });
    await api('POST', '/experiments/price_test/start');
    const table = await sy(['experiments', 'list']);
    expect(table.stdout).toMatch(/price_test\s+running\s+—\s+40%\s+Control 50%, Test 50%/);
    const json = JSON.parse((await sy(['experiments', 'list', '--json'])).stdout);
    expect(json).toMatchObject([{ name: 'price_test', status: 'running' }]);
  });
});

describe('pulse', () => {
  it("prints each metric's lift and interval as the API computes them", async () => {
    await api('POST', '/metrics', {
      name: 'purchases',
      type: 'conversion',
      numerator: { event: 'purchase' },
    });
    await api('POST', '/gates', {
      name: 'measured',
      rules: [{ name: 'half', passPercentage: 50, conditions: [{ type: 'public' }] }],
    });
    const sdk = await Switchyard.init({ serverKey: server.serverKey, url: server.url, streaming: false });
    for (let i = 0; i < 1200; i++) {
      const user = { userID: `pulse-user-${i}` };
      const pass = sdk.checkGate(user, 'measured');
      // The gate quadruples purchases: both intervals stay far from zero whatever the split
      // (the gate's salt is random; at 600 users and a doubling, the relative interval's lower
      // bound crossed zero in about one run in twenty).
      if (i % (pass ? 2 : 8) === 0) sdk.logEvent(user, 'purchase', 1);
    }
    await sdk.shutdown();
    await server.app.pulse.catchUp();

    const json = JSON.parse((await sy(['pulse', 'measured', '--json'])).stdout);
    const [comparison] = json.comparisons;
    const metric = comparison.metrics.find((m: { metric: string }) => m.metric === 'purchases');
    expect(comparison.treatment.units + comparison.control.units).toBe(1200);
    expect(metric.verdict).toBe('improved');

    const printed = await sy(['pulse', 'measured']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('gate measured in production: 95% intervals, fixed-horizon, CUPED');
    expect(printed.stdout).toContain(
      `pass (${comparison.treatment.units} units) vs fail (${comparison.control.units} units)`,
    );
    const lift = `+${(metric.relative.estimate * 100).toFixed(metric.relative.estimate >= 1 ? 0 : 1)}%`;
    const row = printed.stdout.split('\n').find((line) => line.startsWith('purchases'));
    expect(row).toBeDefined();
    expect(row).toContain(lift);
    expect(row).toContain('improved');
    expect(row).toMatch(/\[\+[\d.]+%, \+[\d.]+%\]/);

    const unknownEnvironment = await sy(['pulse', 'measured', '--env', 'nowhere']);
    expect(unknownEnvironment.code).toBe(1);
    expect(unknownEnvironment.stderr).toContain('environment "nowhere" does not exist');
  });
});
