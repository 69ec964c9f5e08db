/**
 * The guardrail monitor's decision (assessStage over Pulse's comparison) on seeded simulated
 * canaries: it rolls back a real regression quickly at realistic traffic, and under A/A (no
 * regression) looking every minute keeps false rollbacks at or under the plan's 5%.
 */
import { describe, expect, it } from 'vitest';
import { simulateCanary } from '../bench/canary-simulation.js';

const REALISTIC = {
  activePerMinute: 40_000,
  canaryShare: 0.05,
  baselineTimeoutRate: 0.01,
} as const;

describe('guardrail monitor on simulated canaries', () => {
  it('rolls back a +25% timeout regression in a 5% canary within 5 minutes at 40,000 users a minute', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const outcome = simulateCanary({ ...REALISTIC, regression: 0.25, minutes: 5, seed });
      expect(outcome.rolledBackAt, `seed ${seed}`).not.toBeNull();
      expect(outcome.last.verdict).toBe('regression');
      const [evidence] = outcome.last.evidence.guardrails;
      // The evidence says what happened: the canary's rate is higher, and the one-sided test says so.
      expect(evidence?.regression).toBe(true);
      // The one-sided bound that decided: the canary's rate is at least this much higher.
      expect(evidence?.harmBound).toBeGreaterThan(0);
      expect(evidence?.harmBound).toBeLessThan(evidence?.relative?.estimate as number);
      expect(outcome.last.reasons[0]).toMatch(
        /higher by at least \d+(\.\d)?% \(one-sided always-valid bound\)/,
      );
      expect(evidence?.relative?.estimate).toBeGreaterThan(0);
      expect(evidence?.canary.mean).toBeGreaterThan(evidence?.control.mean as number);
      expect(evidence?.canary.units).toBe(outcome.canaryUnits);
    }
  });

  it('does not roll back an improvement (the test is one-sided)', () => {
    const outcome = simulateCanary({ ...REALISTIC, regression: -0.5, minutes: 10, seed: 7 });
    expect(outcome.rolledBackAt).toBeNull();
    const [evidence] = outcome.last.evidence.guardrails;
    expect(evidence?.relative?.interval[1]).toBeLessThan(0);
  });

  it('keeps false rollbacks at or under 5% over 200 seeded A/A canaries looked at every minute', () => {
    let falseRollbacks = 0;
    let looksHeldForSrm = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const outcome = simulateCanary({
        activePerMinute: 4_000,
        canaryShare: 0.05,
        baselineTimeoutRate: 0.01,
        regression: 0,
        minutes: 15,
        seed: 10_000 + seed,
      });
      if (outcome.rolledBackAt !== null) falseRollbacks += 1;
      looksHeldForSrm += outcome.srmHolds;
    }
    expect(falseRollbacks / 200).toBeLessThanOrEqual(0.05);
    // The sample-ratio check holds about 1% of looks (its threshold) when nothing is wrong.
    expect(looksHeldForSrm / (200 * 15)).toBeLessThan(0.03);
  });
});
