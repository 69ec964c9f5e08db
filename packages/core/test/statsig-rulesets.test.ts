/**
 * Statsig's public cross-SDK vectors: 37 users x every gate, config and layer of a real
 * Statsig DCS. Value, rule id, group name, JSON value and secondary exposures (as sets) must
 * match what Statsig's servers computed.
 */
import { exposureKeys, loadStatsigRulesets } from '@switchyard/conformance';
import { type ConfigSpecs, createEvaluator, idListEntryHash, type StatsigUser } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const vectors = loadStatsigRulesets();

// The vectors ship no ID-list contents. Only the user with companyID "statsig" passes
// `segment:company_id_list` in the expected results, so this list reproduces them.
const idLists = new Map([['company_id_list', new Set([idListEntryHash('statsig')])]]);

if ('missing' in vectors) {
  describe.skip(`Statsig rulesets vectors (skipped: ${vectors.missing})`, () => {
    it('needs ../shared/vectors/statsig-rulesets-e2e', () => {});
  });
} else {
  const evaluator = createEvaluator(vectors.config as unknown as ConfigSpecs, { idLists });

  describe('Statsig rulesets e2e vectors', () => {
    it('loads all 37 users and compiles every spec', () => {
      expect(vectors.cases).toHaveLength(37);
      expect(evaluator.diagnostics).toEqual([]);
      expect(evaluator.gateNames).toHaveLength(78);
      expect(evaluator.configNames).toHaveLength(61);
      expect(evaluator.layerNames).toHaveLength(11);
    });

    vectors.cases.forEach((testCase, index) => {
      const user = testCase.user as StatsigUser;
      const label = `user #${index} (${JSON.stringify(user.userID ?? null)})`;

      it(`${label}: gates`, () => {
        const gates = Object.entries(testCase.feature_gates_v2);
        expect(gates.length).toBeGreaterThan(0);
        for (const [name, expected] of gates) {
          const result = evaluator.checkGate(user, name);
          expect({
            name,
            value: result.value,
            ruleID: result.ruleID,
            exposures: exposureKeys(result.secondaryExposures),
          }).toEqual({
            name,
            value: expected.value,
            ruleID: expected.rule_id,
            exposures: exposureKeys(expected.secondary_exposures),
          });
        }
      });

      it(`${label}: dynamic configs and experiments`, () => {
        for (const [name, expected] of Object.entries(testCase.dynamic_configs)) {
          const result = evaluator.getConfig(user, name);
          expect({
            name,
            json: result.json,
            ruleID: result.ruleID,
            groupName: result.groupName ?? undefined,
            exposures: exposureKeys(result.secondaryExposures),
          }).toEqual({
            name,
            json: expected.value,
            ruleID: expected.rule_id,
            groupName: expected.group_name ?? undefined,
            exposures: exposureKeys(expected.secondary_exposures),
          });
        }
      });

      it(`${label}: layers`, () => {
        for (const [name, expected] of Object.entries(testCase.layer_configs)) {
          const result = evaluator.getLayer(user, name);
          expect({
            name,
            json: result.json,
            ruleID: result.ruleID,
            groupName: result.groupName ?? undefined,
            allocated: result.allocatedExperimentName ?? '',
            exposures: exposureKeys(result.secondaryExposures),
            undelegated: exposureKeys(result.undelegatedSecondaryExposures),
          }).toEqual({
            name,
            json: expected.value,
            ruleID: expected.rule_id,
            groupName: expected.group_name ?? undefined,
            allocated: expected.allocated_experiment_name ?? '',
            exposures: exposureKeys(expected.secondary_exposures),
            undelegated: exposureKeys(expected.undelegated_secondary_exposures),
          });
        }
      });
    });
  });
}
