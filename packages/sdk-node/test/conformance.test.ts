/**
 * The conformance vectors through the SDK's public API: each case starts an SDK in local mode
 * with the vector's DCS as `bootstrap` (its ID lists as `bootstrapIdLists`, its time as `clock`,
 * its environment as `environment`) and reads the entity with checkGate / getFeatureGate,
 * getConfig, getExperiment or getLayer, as an application would.
 */
import {
  type ConformanceHost,
  defineConformanceSuite,
  type ObservedEvaluation,
} from '@switchyard/conformance';
import type { ConfigSpecs } from '@switchyard/core';
import { Switchyard } from '@switchyard/node';

const sdkHost: ConformanceHost = {
  name: '@switchyard/node',
  async evaluate(specs, testCase): Promise<ObservedEvaluation> {
    const options = testCase.options ?? {};
    const now = options.now;
    const errors: unknown[] = [];
    const sdk = await Switchyard.init({
      serverKey: 'secret-conformance',
      localMode: true,
      bootstrap: specs as unknown as ConfigSpecs,
      ...(options.idLists && { bootstrapIdLists: options.idLists }),
      ...(now !== undefined && { clock: () => now }),
      ...(options.environment && { environment: options.environment }),
      onError: (error) => errors.push(error),
    });
    try {
      if (sdk.initDetails.source !== 'bootstrap')
        throw new Error(`bootstrap refused: ${JSON.stringify(errors)}`);
      const user = testCase.user;
      const { kind, name } = testCase.entity;
      if (kind === 'gate') {
        const gate = sdk.getFeatureGate(user, name);
        if (sdk.checkGate(user, name) !== gate.value)
          throw new Error('checkGate and getFeatureGate disagree');
        return {
          value: gate.value,
          ruleID: gate.ruleID,
          groupName: gate.groupName,
          // A gate result carries no JSON value in this SDK (nor in statsig-node); the vectors'
          // `{}` for gates is the evaluator's placeholder. See the skip below for the one exception.
          json: {},
          secondaryExposures: [...gate.secondaryExposures],
          reason: gate.evaluationDetails.reason,
        };
      }
      if (kind === 'layer') {
        const layer = sdk.getLayer(user, name);
        return {
          value: layer.rulePassed,
          ruleID: layer.ruleID,
          groupName: layer.groupName,
          json: layer.value,
          secondaryExposures: [...layer.secondaryExposures],
          undelegatedSecondaryExposures: [...layer.undelegatedSecondaryExposures],
          allocatedExperimentName: layer.allocatedExperimentName,
          reason: layer.evaluationDetails.reason,
        };
      }
      const config = kind === 'experiment' ? sdk.getExperiment(user, name) : sdk.getConfig(user, name);
      return {
        value: config.rulePassed,
        ruleID: config.ruleID,
        groupName: config.groupName,
        json: config.value,
        secondaryExposures: [...config.secondaryExposures],
        reason: config.evaluationDetails.reason,
      };
    } finally {
      await sdk.shutdown();
    }
  },
  skip(_file, testCase) {
    if ('entity' in testCase && testCase.entity.kind === 'gate' && testCase.expected.json !== undefined) {
      const json = testCase.expected.json;
      if (typeof json === 'object' && json !== null && Object.keys(json).length > 0) {
        return 'a gate with an object returnValue: the SDK exposes gates as booleans (as statsig-node does), not their JSON';
      }
    }
    return undefined;
  },
};

defineConformanceSuite(sdkHost);
