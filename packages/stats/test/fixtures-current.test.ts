/**
 * The checked-in fixtures must be what scripts/generate_fixtures.py makes now: the script is rerun
 * into a temporary directory and every file compared (inputs exactly, expected values to 1e-12
 * relative so a patch release of numpy or scipy does not fail the build, tail probabilities below
 * 1e-20 to 1e-9, the `generator` versions not at all). Skipped locally without python3 + numpy + scipy; in CI (CI=true) their absence fails.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from './support/fixtures.js';

const SCRIPT = fileURLToPath(new URL('../scripts/generate_fixtures.py', import.meta.url));
const TOLERANCE = 1e-12;
/**
 * Tail probabilities this small (p-values of z around 13) magnify the last-bit differences of
 * their inputs between numpy/BLAS builds: relative error about z² times the input's, 1e-11 on
 * this project's machine against the checked-in files. They are held to the 1e-9 the
 * TypeScript is held to (fixtures.test.ts) instead.
 */
const EXTREME_TAIL = 1e-20;
const EXTREME_TAIL_TOLERANCE = 1e-9;

function pythonWithScipy(): boolean {
  const probe = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  return probe.status === 0;
}

/** The first difference between two parsed JSON values, as a path and description, or null. */
function firstDifference(actual: unknown, expected: unknown, path = '$'): string | null {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (actual === expected) return null;
    const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
    const tolerance = Math.abs(expected) < EXTREME_TAIL ? EXTREME_TAIL_TOLERANCE : TOLERANCE;
    return error <= tolerance ? null : `${path}: regenerated ${actual}, checked in ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: array length differs`;
    for (let i = 0; i < expected.length; i += 1) {
      const difference = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${path}: not an object`;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      if (path === '$' && key === 'generator') continue;
      const difference = firstDifference(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (difference) return difference;
    }
    return null;
  }
  return actual === expected
    ? null
    : `${path}: regenerated ${String(actual)}, checked in ${String(expected)}`;
}

describe('golden fixtures', () => {
  const available = pythonWithScipy();
  const inCi = process.env.CI === 'true';
  if (!available && !inCi) {
    it.skip('skipped: python3 with scipy not available', () => {});
    return;
  }
  it('are what scripts/generate_fixtures.py makes now (npm run fixtures -w @switchyard/stats)', () => {
    if (!available) {
      throw new Error('CI=true but python3 with numpy and scipy is not available to check the fixtures');
    }
    const out = mkdtempSync(join(tmpdir(), 'switchyard-stats-fixtures-'));
    try {
      const run = spawnSync('python3', [SCRIPT, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const checkedIn = readdirSync(FIXTURES_DIR)
        .filter((name) => name.endsWith('.json'))
        .sort();
      const regenerated = readdirSync(out)
        .filter((name) => name.endsWith('.json'))
        .sort();
      expect(regenerated).toEqual(checkedIn);
      for (const name of checkedIn) {
        const difference = firstDifference(
          JSON.parse(readFileSync(join(out, name), 'utf8')),
          JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')),
        );
        expect(difference, `${name} is stale; run npm run fixtures -w @switchyard/stats`).toBeNull();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
