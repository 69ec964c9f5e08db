import {
  type ConformanceHost,
  defineConformanceSuite,
  type EvaluationCase,
  type ObservedEvaluation,
} from '@switchyard/conformance';
import {
  type ConfigSpecs,
  createEvaluator,
  djb2,
  type Evaluator,
  hash64,
  idListEntryHash,
  type StatsigUser,
  sha256Base64,
} from '@switchyard/core';

function evaluatorFor(specs: Record<string, unknown>, testCase: EvaluationCase): Evaluator {
  const options = testCase.options ?? {};
  const idLists = new Map(
    Object.entries(options.idLists ?? {}).map(([name, ids]) => [name, new Set(ids.map(idListEntryHash))]),
  );
  const now = options.now;
  return createEvaluator(specs as unknown as ConfigSpecs, {
    idLists,
    ...(now !== undefined && { clock: () => now }),
    ...(options.environment && { environment: options.environment }),
  });
}

const coreHost: ConformanceHost = {
  name: '@switchyard/core',
  evaluate(specs, testCase): ObservedEvaluation {
    const evaluator = evaluatorFor(specs, testCase);
    const user = testCase.user as StatsigUser;
    const { kind, name } = testCase.entity;
    if (kind === 'gate') return evaluator.checkGate(user, name);
    if (kind === 'layer') return evaluator.getLayer(user, name);
    return evaluator.getConfig(user, name);
  },
  hash(fn, input) {
    switch (fn) {
      case 'h64':
        return hash64(input).toString();
      case 'djb2':
        return djb2(input);
      case 'sha256Base64':
        return sha256Base64(input);
      case 'idListEntry':
        return idListEntryHash(input);
    }
  },
};

defineConformanceSuite(coreHost);
