import { describe, expect, it } from 'vitest';
import { loadVectorFiles } from './load-vectors.js';
import type { EvaluationCase, ExpectedEvaluation, HashCase, VectorFile } from './vector-file.js';

export interface ObservedEvaluation {
  value: boolean;
  ruleID: string;
  groupName: string | null;
  json: unknown;
  secondaryExposures: { gate: string; gateValue: string; ruleID: string }[];
  undelegatedSecondaryExposures?: { gate: string; gateValue: string; ruleID: string }[];
  allocatedExperimentName?: string | null;
  reason?: string;
}

/** An evaluator implementation under test: core, an SDK, or the server's evaluate endpoint. */
export interface ConformanceHost {
  name: string;
  evaluate(
    specs: Record<string, unknown>,
    testCase: EvaluationCase,
  ): ObservedEvaluation | Promise<ObservedEvaluation>;
  /** Raw hash primitives; a host without them skips hash cases with that reason. */
  hash?: (fn: HashCase['function'], input: string) => string;
  /** Return a reason to skip a case; a skip without a reason is not allowed. */
  skip?: (file: VectorFile, testCase: EvaluationCase | HashCase) => string | undefined;
}

export function exposureKeys(
  list: { gate: string; gateValue: string; ruleID: string }[] | undefined,
): string[] {
  return (list ?? []).map((e) => `${e.gate}|${e.gateValue}|${e.ruleID}`).sort();
}

/** Compares the fields present in `expected`; exposures as sets. */
export function expectEvaluation(observed: ObservedEvaluation, expected: ExpectedEvaluation): void {
  const picked: Record<string, unknown> = {};
  const wanted: Record<string, unknown> = {};
  for (const key of Object.keys(expected) as (keyof ExpectedEvaluation)[]) {
    if (key === 'reason' && observed.reason === undefined) continue;
    if (key === 'secondaryExposures' || key === 'undelegatedSecondaryExposures') {
      picked[key] = exposureKeys(observed[key]);
      wanted[key] = exposureKeys(expected[key]);
    } else {
      picked[key] = observed[key];
      wanted[key] = expected[key];
    }
  }
  expect(picked).toEqual(wanted);
}

function skipReason(
  host: ConformanceHost,
  file: VectorFile,
  testCase: EvaluationCase | HashCase,
): string | undefined {
  const reason = host.skip?.(file, testCase);
  if (reason !== undefined && reason.trim() === '') {
    throw new Error(`${host.name}: skip of ${file.name}/${testCase.id} must carry a reason`);
  }
  return reason;
}

/** Registers one Vitest test per vector case for `host`. */
export function defineConformanceSuite(host: ConformanceHost, files: VectorFile[] = loadVectorFiles()): void {
  describe(`conformance: ${host.name}`, () => {
    for (const file of files) {
      describe(file.name, () => {
        for (const testCase of file.cases ?? []) {
          const reason = skipReason(host, file, testCase);
          if (reason) {
            it.skip(`${testCase.id} (skipped: ${reason})`, () => {});
            continue;
          }
          it(testCase.id, async () => {
            const observed = await host.evaluate(file.specs ?? {}, testCase);
            expectEvaluation(observed, testCase.expected);
          });
        }
        for (const hashCase of file.hashCases ?? []) {
          const reason = host.hash ? skipReason(host, file, hashCase) : 'host exposes no hash primitives';
          const hash = host.hash;
          if (reason || !hash) {
            it.skip(`${hashCase.id} (skipped: ${reason})`, () => {});
            continue;
          }
          it(hashCase.id, () => {
            expect(hash(hashCase.function, hashCase.input)).toBe(hashCase.expected);
          });
        }
      });
    }
  });
}
