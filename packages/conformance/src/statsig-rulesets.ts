import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Statsig's public cross-SDK vectors (elixir-sdk `test/data`), kept beside the project in
 * `../shared/vectors/statsig-rulesets-e2e/` and never copied into the repository.
 */
export interface StatsigRulesetsCase {
  user: Record<string, unknown>;
  feature_gates_v2: Record<string, { value: boolean; rule_id: string; secondary_exposures: Exposure[] }>;
  dynamic_configs: Record<
    string,
    { value: unknown; rule_id: string; group_name?: string | null; secondary_exposures: Exposure[] }
  >;
  layer_configs: Record<
    string,
    {
      value: unknown;
      rule_id: string;
      group_name?: string | null;
      allocated_experiment_name?: string;
      secondary_exposures: Exposure[];
      undelegated_secondary_exposures?: Exposure[];
    }
  >;
}

interface Exposure {
  gate: string;
  gateValue: string;
  ruleID: string;
}

export interface StatsigRulesets {
  config: Record<string, unknown>;
  cases: StatsigRulesetsCase[];
}

const DEFAULT_DIR = fileURLToPath(
  new URL('../../../../shared/vectors/statsig-rulesets-e2e/', import.meta.url),
);

/**
 * Loads the vectors, or returns why they are unavailable. Under CI (`CI=true`) a missing copy
 * throws instead: CI always has them, so their absence there is a broken setup, not a skip.
 */
export function loadStatsigRulesets(
  directory: string = process.env.SWITCHYARD_VECTORS_DIR ?? DEFAULT_DIR,
): StatsigRulesets | { missing: string } {
  const configPath = `${directory}/rulesets_e2e_config.json`;
  const expectedPath = `${directory}/rulesets_e2e_expected_results.json`;
  if (!existsSync(configPath) || !existsSync(expectedPath)) {
    const missing = `Statsig rulesets vectors not found in ${directory}`;
    if (process.env.CI === 'true') throw new Error(`${missing} (required when CI=true)`);
    return { missing };
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as { data: StatsigRulesetsCase[] };
  return { config, cases: expected.data };
}
