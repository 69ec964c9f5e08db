/**
 * Generates the `expected` fields of the conformance vectors with statsig-node 6.5.2 as the
 * reference, so that no expectation is hand-computed where the reference can compute it.
 *
 *   npx tsx packages/conformance/scripts/generate-expected.ts          # rewrite vectors/NN-*.json
 *   npx tsx packages/conformance/scripts/generate-expected.ts --check  # fail if any is out of date
 *
 * Inputs are `scripts/inputs/NN-topic.input.json`: a vector file whose cases carry no `expected`
 * (the generator fills it in), except cases the reference cannot compute, which carry a
 * hand-written `expected` and a `description` saying why. A case may also list `checks`:
 * claims about raw bucket values (e.g. "this user's pass-percentage bucket is exactly 0") that
 * the generator re-verifies with statsig-node's own hash, so case descriptions stay true. The
 * checks are not copied into the vector file.
 *
 * Each case is evaluated through statsig-node's public API (getFeatureGate, getConfig,
 * getExperiment, getLayer) on a StatsigServer in localMode, bootstrapped with the file's DCS.
 * The public objects hide secondary exposures, the boolean rule result of configs and layers,
 * and the undelegated exposures, so the generator also records the ConfigEvaluation the
 * server's evaluator returns for the top-level call and cross-checks the two.
 */
process.env.TZ = 'UTC';

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { type StatsigEnvironment, StatsigServer, type StatsigUser } from 'statsig-node';
import type * as ConfigEvaluationModule from 'statsig-node/dist/ConfigEvaluation.js';
import type { SecondaryExposure } from 'statsig-node/dist/LogEvent.js';
import { computeUserHash } from 'statsig-node/dist/utils/EvaluatorUtils.js';
import { hashUnitIDForIDList } from 'statsig-node/dist/utils/Hashing.js';
import type { IDList } from 'statsig-node/dist/utils/IDListUtil.js';
import {
  type EvaluationCase,
  type EvaluationOptionsInput,
  type ExpectedEvaluation,
  SPEC_VERSION,
  type VectorFile,
} from '../src/vector-file.js';

const INPUTS_DIR = fileURLToPath(new URL('./inputs/', import.meta.url));
const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));
const REFERENCE = 'statsig-node 6.5.2';
const CASE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A claim about a raw bucket, verified with statsig-node's hash: h64(input) % modulo === equals. */
interface HashCheck {
  input: string;
  modulo: number;
  equals: number;
}

interface InputCase extends Omit<EvaluationCase, 'expected'> {
  /** Only for cases the reference cannot compute; the description must say why. */
  expected?: ExpectedEvaluation;
  checks?: HashCheck[];
}

interface InputFile extends Omit<VectorFile, 'cases'> {
  cases: InputCase[];
}

type Exposure = { gate: string; gateValue: string; ruleID: string };

/** statsig-node's evaluation result class (a CommonJS default export). */
type ConfigEvaluation = ConfigEvaluationModule.default;

// ---------------------------------------------------------------------------------------------
// statsig-node internals the public API does not expose (read from node_modules/statsig-node/src)

type EvaluatorMethod = (...args: unknown[]) => ConfigEvaluation;

/** Evaluator.ts: the three entry points, also used recursively for nested gates and delegates. */
interface EvaluatorInternals {
  checkGate: EvaluatorMethod;
  getConfig: EvaluatorMethod;
  getLayer: EvaluatorMethod;
}

/** StatsigServer.ts `_evaluator` and `_store`; SpecStore.ts keeps ID lists in `store.idLists`. */
interface ServerInternals {
  _evaluator: EvaluatorInternals;
  _store: { store: { idLists: Record<string, IDList> } };
}

/** One initialised StatsigServer for a (specs, environment, idLists) combination. */
class Reference {
  private captured: ConfigEvaluation | undefined;
  private depth = 0;

  private constructor(readonly server: StatsigServer) {}

  static async create(specs: Record<string, unknown>, options: EvaluationOptionsInput): Promise<Reference> {
    const server = new StatsigServer('secret-conformance-generator', {
      localMode: true,
      bootstrapValues: JSON.stringify(specs),
      environment: (options.environment as StatsigEnvironment | undefined) ?? null,
      disableAllLogging: true,
      disableDiagnostics: true,
      disableRulesetsSync: true,
      disableIdListsSync: true,
      initStrategyForIDLists: 'none',
      initStrategyForIP3Country: 'await',
      logger: { logLevel: 'none', warn: () => {}, error: () => {} },
    });
    const details = await server.initializeAsync();
    if (!details.success || details.source !== 'Bootstrap') {
      throw new Error(`statsig-node did not initialise from the bootstrap DCS: ${details.error?.message}`);
    }
    const internals = server as unknown as ServerInternals;
    // localMode has no ID-list sync: put the lists where SpecStore.getIDList reads them, keyed
    // by statsig-node's own entry hash (first 8 characters of base64 sha256).
    for (const [name, ids] of Object.entries(options.idLists ?? {})) {
      internals._store.store.idLists[name] = {
        creationTime: 1,
        fileID: `conformance-${name}`,
        ids: Object.fromEntries(ids.map((id) => [hashUnitIDForIDList(id), true])),
        readBytes: 0,
        url: 'conformance-vectors',
      };
    }
    const reference = new Reference(server);
    reference.recordTopLevelEvaluations(internals._evaluator);
    return reference;
  }

  /** Wraps the evaluator's entry points to keep the ConfigEvaluation of the outermost call. */
  private recordTopLevelEvaluations(evaluator: EvaluatorInternals): void {
    for (const method of ['checkGate', 'getConfig', 'getLayer'] as const) {
      const original = evaluator[method];
      evaluator[method] = (...args: unknown[]) => {
        this.depth++;
        try {
          const result = original.apply(evaluator, args);
          if (this.depth === 1) this.captured = structuredClone(result);
          return result;
        } finally {
          this.depth--;
        }
      };
    }
  }

  evaluate(testCase: InputCase): ExpectedEvaluation {
    const user = structuredClone(testCase.user) as StatsigUser;
    if (!isIdentifiable(user)) {
      throw new Error('statsig-node only evaluates users with a userID or non-empty customIDs');
    }
    const { kind, name } = testCase.entity;
    const now = testCase.options?.now;
    const realNow = Date.now;
    if (now !== undefined) Date.now = () => now;
    this.captured = undefined;
    try {
      const noLogging = { disableExposureLogging: true };
      if (kind === 'gate') {
        const gate = this.server.getFeatureGate(user, name, noLogging);
        const evaluation = this.take();
        same('gate.value', gate.value, evaluation.value === true);
        same('gate.ruleID', gate.ruleID, evaluation.rule_id);
        return finish(evaluation, {
          value: gate.value,
          ruleID: gate.ruleID,
          groupName: gate.groupName,
          json: jsonObject(evaluation.json_value),
          secondaryExposures: exposures(evaluation.secondary_exposures),
        });
      }
      if (kind === 'config' || kind === 'experiment') {
        const config =
          kind === 'config'
            ? this.server.getConfig(user, name, noLogging)
            : this.server.getExperiment(user, name, noLogging);
        const evaluation = this.take();
        same('config.ruleID', config.getRuleID(), evaluation.rule_id);
        same('config.value', config.value, jsonObject(evaluation.json_value));
        same('config secondary exposures', config._getSecondaryExposures(), evaluation.secondary_exposures);
        return finish(evaluation, {
          value: evaluation.value,
          ruleID: config.getRuleID(),
          groupName: config.getGroupName(),
          json: config.value,
          secondaryExposures: exposures(evaluation.secondary_exposures),
        });
      }
      const layer = this.server.getLayer(user, name, noLogging);
      const evaluation = this.take();
      const json = jsonObject(evaluation.json_value);
      same('layer.ruleID', layer.getRuleID(), evaluation.rule_id);
      same('layer.allocatedExperimentName', layer.getAllocatedExperimentName(), evaluation.config_delegate);
      for (const key of Object.keys(json)) same(`layer.getValue(${key})`, layer.getValue(key), json[key]);
      return finish(evaluation, {
        value: evaluation.value,
        ruleID: layer.getRuleID(),
        groupName: layer.getGroupName(),
        json,
        secondaryExposures: exposures(evaluation.secondary_exposures),
        undelegatedSecondaryExposures: exposures(evaluation.undelegated_secondary_exposures),
        allocatedExperimentName: layer.getAllocatedExperimentName(),
      });
    } finally {
      Date.now = realNow;
    }
  }

  private take(): ConfigEvaluation {
    const evaluation = this.captured;
    // The public API swallows exceptions and returns a default; never record that as expected.
    if (!evaluation) throw new Error('statsig-node returned without evaluating (an error was swallowed?)');
    return evaluation;
  }

  shutdown(): void {
    this.server.shutdown();
  }
}

/** statsig-node's isUserIdentifiable (utils/core.ts). */
function isIdentifiable(user: StatsigUser): boolean {
  const { userID, customIDs } = user;
  return (
    typeof userID === 'string' ||
    typeof userID === 'number' ||
    (customIDs != null && typeof customIDs === 'object' && Object.keys(customIDs).length > 0)
  );
}

/** `reason` is recorded only where statsig-node's name for it is the vector format's too. */
function finish(evaluation: ConfigEvaluation, expected: ExpectedEvaluation): ExpectedEvaluation {
  const reason = evaluation.evaluation_details?.reason;
  if (reason === 'Unsupported' || reason === 'Unrecognized') expected.reason = reason;
  return expected;
}

/** As DynamicConfig and Layer report a value: anything but an object becomes `{}`. */
function jsonObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function exposures(list: SecondaryExposure[] | undefined): Exposure[] {
  return (list ?? []).map(({ gate, gateValue, ruleID }) => ({ gate, gateValue, ruleID }));
}

function same(what: string, publicValue: unknown, internalValue: unknown): void {
  if (!isDeepStrictEqual(publicValue, internalValue)) {
    throw new Error(
      `${what}: public API says ${JSON.stringify(publicValue)}, evaluator says ${JSON.stringify(internalValue)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Input validation and hash checks

function validate(fileName: string, input: InputFile): void {
  const expectedName = fileName.replace(/\.input\.json$/, '');
  if (input.name !== expectedName)
    throw new Error(`${fileName}: name "${input.name}" should be "${expectedName}"`);
  if (input.specVersion !== SPEC_VERSION) throw new Error(`${fileName}: specVersion is not ${SPEC_VERSION}`);
  const ids = new Set<string>();
  for (const testCase of input.cases) {
    if (!CASE_ID.test(testCase.id))
      throw new Error(`${fileName}: case id "${testCase.id}" is not kebab-case`);
    if (ids.has(testCase.id)) throw new Error(`${fileName}: duplicate case id "${testCase.id}"`);
    ids.add(testCase.id);
    if (testCase.expected && !testCase.description) {
      throw new Error(
        `${fileName}/${testCase.id}: a hand-written expectation needs a description saying why`,
      );
    }
    for (const check of testCase.checks ?? []) {
      const bucket = Number(computeUserHash(check.input) % BigInt(check.modulo));
      if (bucket !== check.equals) {
        throw new Error(
          `${fileName}/${testCase.id}: h64(${JSON.stringify(check.input)}) % ${check.modulo} is ${bucket}, not ${check.equals}`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output: two-space JSON, with arrays of scalars kept on as few lines as fit (slot lists are long)

const LINE_WIDTH = 110;

function formatJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => formatJson(item, inner));
    const scalars = value.every((item) => item === null || typeof item !== 'object');
    if (!scalars) return `[\n${items.map((item) => inner + item).join(',\n')}\n${indent}]`;
    const oneLine = `[${items.join(', ')}]`;
    if (indent.length + oneLine.length <= LINE_WIDTH) return oneLine;
    const lines: string[] = [];
    let line = '';
    for (const item of items) {
      const next = line ? `${line}, ${item}` : item;
      if (line && inner.length + next.length + 1 > LINE_WIDTH) {
        lines.push(line);
        line = item;
      } else {
        line = next;
      }
    }
    lines.push(line);
    return `[\n${lines.map((text) => inner + text).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  const body = entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------

async function generate(fileName: string): Promise<{ outName: string; text: string; count: number }> {
  const input = JSON.parse(readFileSync(`${INPUTS_DIR}${fileName}`, 'utf8')) as InputFile;
  validate(fileName, input);
  const specs = input.specs ?? {};
  const references = new Map<string, Reference>();
  const cases: EvaluationCase[] = [];
  try {
    for (const testCase of input.cases) {
      const { checks: _checks, expected: handWritten, ...rest } = testCase;
      let expected = handWritten;
      if (!expected) {
        const key = JSON.stringify([
          testCase.options?.environment ?? null,
          testCase.options?.idLists ?? null,
        ]);
        let reference = references.get(key);
        if (!reference) {
          reference = await Reference.create(specs, testCase.options ?? {});
          references.set(key, reference);
        }
        try {
          expected = reference.evaluate(testCase);
        } catch (error) {
          throw new Error(`${fileName}/${testCase.id}: ${error instanceof Error ? error.message : error}`);
        }
      }
      cases.push({ ...rest, expected });
    }
  } finally {
    for (const reference of references.values()) reference.shutdown();
  }
  const output: VectorFile = { ...input, cases };
  const outName = fileName.replace(/\.input\.json$/, '.json');
  return { outName, text: `${formatJson(output)}\n`, count: cases.length };
}

async function main(): Promise<void> {
  if (new Date(2021, 0, 1).getTime() !== Date.UTC(2021, 0, 1)) {
    throw new Error('TZ=UTC did not take effect; `on` conditions would compare the wrong calendar days');
  }
  const check = process.argv.includes('--check');
  const inputs = readdirSync(INPUTS_DIR)
    .filter((name) => /^\d{2}-[\w-]+\.input\.json$/.test(name))
    .sort();
  let stale = 0;
  for (const fileName of inputs) {
    const { outName, text, count } = await generate(fileName);
    const path = `${VECTORS_DIR}${outName}`;
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (check) {
      if (current !== text) {
        stale++;
        console.error(`${outName}: out of date (regenerate with generate-expected.ts)`);
      }
    } else {
      writeFileSync(path, text);
      console.log(
        `${outName}: ${count} cases${current === text ? ' (unchanged)' : ''}, reference ${REFERENCE}`,
      );
    }
  }
  if (stale > 0) process.exitCode = 1;
}

await main();
