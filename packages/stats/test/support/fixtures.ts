/** Loading the golden fixtures, and comparing against them with a recorded worst error. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface FixtureFile<T> {
  readonly formatVersion: number;
  readonly description: string;
  readonly cases: T;
}

export function loadFixture<T>(name: string): FixtureFile<T> {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}${name}.json`, 'utf8')) as FixtureFile<T>;
}

/** The tolerance the brief sets for closed-form results: 1e-9 relative. */
export const RELATIVE_TOLERANCE = 1e-9;

/**
 * Relative error of `actual` against `expected`, measured against max(|expected|, scale), so
 * quantities that are differences of larger terms (an interval end near 0, say) are judged
 * against the size of those terms. `expected` null means ±Infinity (JSON has no infinities).
 */
export function relativeError(actual: number, expected: number | null, scale = 0): number {
  if (expected === null) return Number.isFinite(actual) ? Number.POSITIVE_INFINITY : 0;
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), scale, 1e-300);
}

/** Worst relative error seen per fixture file, printed at the end of the run. */
export class ErrorLedger {
  readonly worst = new Map<string, { error: number; where: string }>();

  /** Asserts closeness and records the error. */
  check(
    file: string,
    where: string,
    actual: number,
    expected: number | null,
    scale = 0,
    tolerance = RELATIVE_TOLERANCE,
  ) {
    const error = relativeError(actual, expected, scale);
    const current = this.worst.get(file);
    if (!current || error > current.error) this.worst.set(file, { error, where });
    expect(error, `${where}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(tolerance);
  }

  report(): string {
    return [...this.worst.entries()]
      .map(
        ([file, { error, where }]) =>
          `${file.padEnd(14)} max relative error ${error.toExponential(2)} (${where})`,
      )
      .join('\n');
  }
}
