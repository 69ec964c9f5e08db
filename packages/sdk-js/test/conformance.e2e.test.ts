/**
 * The conformance vectors through the browser SDK's public API. A browser never sees rules, so
 * each vector file's DCS is imported (POST /api/v1/import/statsig) into a fresh real server,
 * and every case initializes a client for its user and reads the entity with the public
 * getters. Cases the client protocol cannot express are skipped with the reason.
 */
import {
  type ConformanceHost,
  defineConformanceSuite,
  type EvaluationCase,
  type ObservedEvaluation,
  type VectorFile,
} from '@switchyard/conformance';
import { afterAll } from 'vitest';
import { SwitchyardClient, type SwitchyardUser } from '../src/index.js';
import { CLIENT_KEY, CONSOLE_KEY, startTestServer, type TestServer } from './support/switchyard-server.js';

interface VectorServer {
  server: TestServer;
  /** The members each ID list has now, to change only what a case needs changed. */
  idLists: Map<string, string>;
}

const NAMESPACES = ['feature_gates', 'dynamic_configs', 'layer_configs'] as const;

/**
 * Why POST /api/v1/import/statsig would refuse the spec (it checks the shape of names, salts,
 * `enabled` and each rule's id and passPercentage, and refuses the whole payload for one bad
 * spec), or undefined. Such specs are left out of the import; their cases are skipped.
 */
function refusedByImport(spec: Record<string, unknown>): string | undefined {
  if (typeof spec.name !== 'string' || spec.name === '') return 'a spec without a name';
  if (typeof spec.salt !== 'string') return 'a spec without a salt';
  if (typeof spec.enabled !== 'boolean') return 'a spec without `enabled`';
  if (!Array.isArray(spec.rules)) return 'a spec without rules';
  for (const rule of spec.rules as Record<string, unknown>[]) {
    if (typeof rule?.id !== 'string') return 'a rule without an id';
    const percentage = rule.passPercentage;
    if (typeof percentage !== 'number' || percentage < 0 || percentage > 100) {
      return 'a rule without a passPercentage in 0..100';
    }
  }
  return undefined;
}

/** The vector DCS without the specs the import API refuses. */
function importable(specs: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = { ...specs };
  for (const namespace of NAMESPACES) {
    kept[namespace] = specsOf(specs, namespace).filter((spec) => refusedByImport(spec) === undefined);
  }
  return kept;
}

const servers = new Map<Record<string, unknown>, Promise<VectorServer>>();

afterAll(async () => {
  for (const started of servers.values()) await (await started).server.close();
});

async function serverFor(specs: Record<string, unknown>): Promise<VectorServer> {
  let started = servers.get(specs);
  if (!started) {
    started = (async () => {
      const server = await startTestServer();
      const response = await fetch(`${server.server.url}/api/v1/import/statsig`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(importable(specs)),
      });
      if (!response.ok) throw new Error(`import: HTTP ${response.status} ${await response.text()}`);
      return { server, idLists: new Map() };
    })();
    servers.set(specs, started);
  }
  return started;
}

/** Makes every list of the file hold exactly the case's IDs (none when the case names none). */
async function setIdLists(target: VectorServer, names: string[], lists: Record<string, string[]> = {}) {
  for (const name of names) {
    const ids = lists[name] ?? [];
    const wanted = JSON.stringify([...ids].sort());
    if ((target.idLists.get(name) ?? '[]') === wanted) continue;
    const url = `${target.server.server.url}/api/v1/id_lists/${name}`;
    const response =
      ids.length === 0
        ? await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${CONSOLE_KEY}` } })
        : await fetch(url, {
            method: 'PUT',
            headers: { authorization: `Bearer ${CONSOLE_KEY}`, 'content-type': 'text/plain' },
            body: ids.join('\n'),
          });
    if (!response.ok) throw new Error(`id list ${name}: HTTP ${response.status} ${await response.text()}`);
    target.idLists.set(name, wanted);
  }
}

function specsOf(specs: Record<string, unknown> | undefined, namespace: string): Record<string, unknown>[] {
  const list = specs?.[namespace];
  return Array.isArray(list) ? list : [];
}

/**
 * Configs, experiments and layers report whether the user's rule passed (`value`); the client
 * payload has it (`passed`) for dynamic configs only (protocol doc §4), so for experiments and
 * layers it is read off the rule: the default and disabled rules (and none at all) did not
 * pass, any other did.
 */
const rulePassed = (ruleID: string) => ruleID !== '' && ruleID !== 'default' && ruleID !== 'disabled';

/** Cases the browser SDK cannot reproduce through a server, by id, with the reason. */
const KNOWN_GAPS: Record<string, string> = {
  'list-empty-user-id':
    'ID lists are uploaded one ID per line with blank lines ignored, so no list can hold the empty ID',
  'env-default-environment-without-option':
    "the DCS default_environment is not imported: the server's configuration has none",
  'env-default-environment-replaces-user-environment':
    'the DCS default_environment is not imported; client initialize responses would apply it only to users without an environment (protocol doc §4)',
  'target-app-primary': 'the DCS app_id is not imported, so target_app conditions see no app',
  'layer-missing-delegate-percentage-zero':
    'a layer rule that matched but failed its pass percentage looks like a passing one in the client payload (layers carry no `passed`)',
};

/** The client's reasons name where values came from; only `Unrecognized` is an evaluation reason too. */
const evaluationReason = (reason: string) => (reason === 'Unrecognized' ? reason : undefined);

const sdkHost: ConformanceHost = {
  name: '@switchyard/js (values from a real server)',
  async evaluate(specs, testCase: EvaluationCase): Promise<ObservedEvaluation> {
    const target = await serverFor(specs);
    await setIdLists(
      target,
      Object.keys((specs.id_lists as object | undefined) ?? {}),
      testCase.options?.idLists,
    );
    const errors: Error[] = [];
    const environment = testCase.options?.environment;
    const client = new SwitchyardClient(CLIENT_KEY, {
      api: target.server.api,
      stream: false,
      exposures: false,
      // The vectors' users carry their own stableIDs (or none); a device ID would change them.
      stableID: false,
      ...(environment && { environment }),
      onError: (error) => errors.push(error),
    });
    await client.initialize(testCase.user as SwitchyardUser);
    if (client.details.source !== 'Network') {
      throw new Error(`no values from the server (${client.details.source}): ${errors.join('; ')}`);
    }
    const { kind, name } = testCase.entity;
    if (kind === 'gate') {
      const gate = client.getGate(name);
      return {
        value: gate.value,
        ruleID: gate.ruleID,
        // Gates carry no group and no return value in the client payload (see the skip below).
        groupName: null,
        json: {},
        secondaryExposures: gate.secondaryExposures,
        reason: evaluationReason(gate.reason),
      };
    }
    if (kind === 'layer') {
      const layer = client.getLayer(name);
      return {
        value: rulePassed(layer.ruleID),
        ruleID: layer.ruleID,
        groupName: layer.groupName,
        json: layer.value,
        secondaryExposures: layer.secondaryExposures,
        undelegatedSecondaryExposures: layer.undelegatedSecondaryExposures,
        allocatedExperimentName: layer.allocatedExperimentName,
        reason: evaluationReason(layer.reason),
      };
    }
    const config = kind === 'experiment' ? client.getExperiment(name) : client.getConfig(name);
    // Dynamic configs (not experiments) do carry `passed` in the payload.
    const passed = (client.getValues()?.dynamic_configs[name] as { passed?: unknown } | undefined)?.passed;
    return {
      value: typeof passed === 'boolean' ? passed : rulePassed(config.ruleID),
      ruleID: config.ruleID,
      groupName: config.groupName,
      json: config.value,
      secondaryExposures: config.secondaryExposures,
      reason: evaluationReason(config.reason),
    };
  },
  skip(file: VectorFile, testCase) {
    if (!('entity' in testCase)) return undefined;
    const gap = KNOWN_GAPS[testCase.id];
    if (gap) return gap;
    if (testCase.options?.now !== undefined) {
      return 'current_time: the server evaluates with its own clock, which a client cannot set';
    }
    const { kind, name } = testCase.entity;
    const namespace =
      kind === 'gate' ? 'feature_gates' : kind === 'layer' ? 'layer_configs' : 'dynamic_configs';
    const own = specsOf(file.specs, namespace).find((candidate) => candidate.name === name);
    const refused = own && refusedByImport(own);
    if (refused) {
      return `the import API refuses ${refused} (server routes/import.ts), so no server can serve it`;
    }
    if (kind === 'gate') {
      const spec = specsOf(file.specs, 'feature_gates').find((candidate) => candidate.name === name);
      if (spec?.entity === 'segment' || spec?.entity === 'holdout') {
        return 'segments and holdouts are left out of client initialize responses (protocol doc §4)';
      }
      const json = testCase.expected.json;
      if (json !== undefined && JSON.stringify(json) !== '{}') {
        return "a gate's return value is not in the client payload (feature_gates entries have no value object)";
      }
    }
    return undefined;
  },
};

defineConformanceSuite(sdkHost);
