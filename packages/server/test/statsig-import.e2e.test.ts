/**
 * Migrating from Statsig: import Statsig's own DCS (the public cross-SDK vectors), then
 * statsig-node pointed at Switchyard reproduces Statsig's expected results for every user,
 * gate, config and layer: salts and rule ids survive, so nobody changes cohort.
 */
import { exposureKeys, loadStatsigRulesets } from '@switchyard/conformance';
import { type ConfigSpecs, createEvaluator, idListEntryHash } from '@switchyard/core';
import type { RunningServer } from '@switchyard/server';
import type { StatsigServer, StatsigUser } from 'statsig-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedRequests, loadStatsigNode } from './support/statsig-node-network-guard.js';
import { startTestServer } from './support/test-server.js';

const SERVER_KEY = 'secret-import-test-key';
const CONSOLE_KEY = 'console-import-test-key';
/**
 * The vectors ship no ID-list contents; their expected results for the gates on
 * `segment:company_id_list` (test_id_list, test_not_in_id_list) imply exactly one member: the
 * user whose companyID is "statsig". Uploaded through our API, it is hashed by the server.
 */
const COMPANY_ID_LIST = { name: 'company_id_list', ids: ['statsig'] };

const vectors = loadStatsigRulesets();

interface ImportResult {
  environment: string;
  created: string[];
  updated: string[];
  unchanged: number;
}
interface ErrorResult {
  error: { code: string; details: { issues: { field: string }[] } };
}

async function importSpecs(server: RunningServer, body: unknown, query = '') {
  return fetch(`${server.url}/api/v1/import/statsig${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

if ('missing' in vectors) {
  describe.skip(`Statsig import (skipped: ${vectors.missing})`, () => {
    it('needs ../shared/vectors/statsig-rulesets-e2e', () => {});
  });
} else {
  describe('Statsig import', () => {
    let server: RunningServer;
    let statsig: StatsigServer;

    beforeAll(async () => {
      server = await startTestServer({ server: SERVER_KEY, console: CONSOLE_KEY });
    });
    afterAll(async () => {
      await statsig?.shutdownAsync();
      await server?.close();
    });

    it('imports every gate, segment, holdout, config, experiment and layer, and again changes nothing', async () => {
      const first = await importSpecs(server, vectors.config);
      expect(first.status).toBe(200);
      const outcome = (await first.json()) as ImportResult;
      expect(outcome).toMatchObject({ environment: 'production', updated: [], unchanged: 0 });
      expect(outcome.created).toHaveLength(78 + 61 + 11);
      const again = (await (await importSpecs(server, vectors.config)).json()) as ImportResult;
      expect(again).toMatchObject({ created: [], updated: [], unchanged: 150 });
    });

    it('lets statsig-node reproduce Statsig expected results for all 37 users', async () => {
      const upload = await fetch(`${server.url}/api/v1/id_lists/${COMPANY_ID_LIST.name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'text/plain' },
        body: `${COMPANY_ID_LIST.ids.join('\n')}\n`,
      });
      expect(upload.status).toBe(201);
      const { StatsigServer } = loadStatsigNode();
      statsig = new StatsigServer(SERVER_KEY, { api: `${server.url}/v1` });
      const init = await statsig.initializeAsync();
      expect(init).toMatchObject({ success: true, source: 'Network' });

      const mismatches: string[] = [];
      let checks = 0;
      vectors.cases.forEach((testCase, index) => {
        const user = testCase.user as StatsigUser;
        for (const [name, expected] of Object.entries(testCase.feature_gates_v2)) {
          checks++;
          const gate = statsig.getFeatureGate(user, name) as unknown as { value: boolean; ruleID: string };
          if (gate.value !== expected.value || gate.ruleID !== expected.rule_id) {
            mismatches.push(
              `#${index} gate ${name}: ${gate.value}/${gate.ruleID} vs ${expected.value}/${expected.rule_id}`,
            );
          }
        }
        for (const [name, expected] of Object.entries(testCase.dynamic_configs)) {
          checks++;
          const config = statsig.getConfig(user, name);
          if (
            JSON.stringify(config.value) !== JSON.stringify(expected.value) ||
            config.getRuleID() !== expected.rule_id
          ) {
            mismatches.push(`#${index} config ${name}`);
          }
        }
        for (const [name, expected] of Object.entries(testCase.layer_configs)) {
          checks++;
          const layer = statsig.getLayer(user, name);
          const values = expected.value as Record<string, unknown>;
          const same = Object.entries(values).every(
            ([param, value]) => JSON.stringify(layer.get(param, null)) === JSON.stringify(value),
          );
          if (!same || layer.getRuleID() !== expected.rule_id) mismatches.push(`#${index} layer ${name}`);
        }
      });
      expect(checks).toBe(5032);
      // The ID-list gates included: statsig-node read company_id_list from our list file.
      expect(mismatches).toEqual([]);
    });

    it('serves secondary exposures Statsig expects (through our own evaluator on the served DCS)', async () => {
      const specs = (await (
        await fetch(`${server.url}/v1/download_config_specs/${SERVER_KEY}.json`)
      ).json()) as ConfigSpecs;
      const evaluator = createEvaluator(specs, {
        idLists: new Map([['company_id_list', new Set([idListEntryHash('statsig')])]]),
      });
      for (const testCase of vectors.cases) {
        for (const [name, expected] of Object.entries(testCase.feature_gates_v2)) {
          const result = evaluator.checkGate(testCase.user as StatsigUser, name);
          expect([name, result.value, result.ruleID, exposureKeys(result.secondaryExposures)]).toEqual([
            name,
            expected.value,
            expected.rule_id,
            exposureKeys(expected.secondary_exposures),
          ]);
        }
      }
    });

    it('updates a changed spec as a new audited version, and refuses bad input with the field', async () => {
      const payload = structuredClone(vectors.config) as {
        feature_gates: { name: string; enabled: boolean }[];
      };
      const target = payload.feature_gates.find((spec) => spec.name === 'test_public');
      if (!target) throw new Error('test_public missing from the vectors');
      target.enabled = false;
      const outcome = (await (await importSpecs(server, payload)).json()) as ImportResult;
      expect(outcome).toMatchObject({ created: [], updated: ['feature_gates/test_public'], unchanged: 149 });
      const response = await fetch(`${server.url}/api/v1/audit?limit=1`, {
        headers: { authorization: `Bearer ${CONSOLE_KEY}` },
      });
      const audit = (await response.json()) as {
        entries: { diff: { after: { spec: { enabled: boolean } } } }[];
      };
      expect(audit.entries[0]).toMatchObject({
        action: 'update',
        name: 'production/feature_gates/test_public',
        version: 2,
      });
      expect(audit.entries[0]?.diff.after.spec.enabled).toBe(false);

      await statsig.syncStoreSpecs();
      expect(statsig.getFeatureGate({ userID: 'anyone' }, 'test_public')).toMatchObject({
        value: false,
        ruleID: 'disabled',
      });

      const badSpec = await importSpecs(server, {
        ...payload,
        dynamic_configs: [{ name: 'x', salt: 's', enabled: true }],
      });
      expect(badSpec.status).toBe(400);
      expect(((await badSpec.json()) as ErrorResult).error.details.issues[0]?.field).toBe(
        'body.dynamic_configs.0.rules',
      );
      const unknownEnvironment = await importSpecs(server, payload, '?environment=moon');
      expect(unknownEnvironment.status).toBe(400);
      expect(((await unknownEnvironment.json()) as ErrorResult).error.code).toBe('unknown_environment');
    });

    it('has a kill switch for imported gates, audited, seen by statsig-node on its next sync', async () => {
      const url = `${server.url}/api/v1/imported/production/feature_gates/test_email/disable`;
      const headers = { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'application/json' };
      const killed = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ reason: 'incident' }),
      });
      expect(killed.status).toBe(200);
      expect(await killed.json()).toMatchObject({ name: 'test_email', enabled: false });
      const audit = (await (
        await fetch(`${server.url}/api/v1/audit?limit=1`, {
          headers: { authorization: `Bearer ${CONSOLE_KEY}` },
        })
      ).json()) as { entries: { action: string; reason: string | null; name: string }[] };
      expect(audit.entries[0]).toMatchObject({
        action: 'disable',
        reason: 'incident',
        name: 'production/feature_gates/test_email',
      });
      await statsig.syncStoreSpecs();
      const user = { userID: 'u', email: 'someone@statsig.com' };
      expect(statsig.getFeatureGate(user, 'test_email')).toMatchObject({ value: false, ruleID: 'disabled' });
      const auth = { authorization: `Bearer ${CONSOLE_KEY}` };
      const revived = await fetch(url.replace(/disable$/, 'enable'), { method: 'POST', headers: auth });
      expect(revived.status).toBe(200);
      await statsig.syncStoreSpecs();
      expect(statsig.getFeatureGate(user, 'test_email').ruleID).not.toBe('disabled');

      // History lists all three versions; reverting to the disabled one kills it again.
      const base = url.replace(/\/disable$/, '');
      const history = (await (await fetch(`${base}/history`, { headers: auth })).json()) as {
        versions: { version: number; spec: { enabled: boolean } }[];
      };
      expect(history.versions.map((entry) => [entry.version, entry.spec.enabled])).toEqual([
        [3, true],
        [2, false],
        [1, true],
      ]);
      const reverted = await fetch(`${base}/revert`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ version: 2 }),
      });
      expect(await reverted.json()).toMatchObject({ version: 4, enabled: false });
      await statsig.syncStoreSpecs();
      expect(statsig.getFeatureGate(user, 'test_email').ruleID).toBe('disabled');
      const noVersion = await fetch(`${base}/revert`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ version: 99 }),
      });
      expect(noVersion.status).toBe(404);
      const missing = await fetch(url.replace('test_email', 'no_such_gate'), {
        method: 'POST',
        headers: auth,
      });
      expect(missing.status).toBe(404);
      const clientKey = await fetch(url, {
        method: 'POST',
        headers: { authorization: 'Bearer client-nope-nope' },
      });
      expect(clientKey.status).toBe(401);
    });

    it('made no request outside 127.0.0.1', () => {
      expect(blockedRequests).toEqual([]);
    });
  });
}
