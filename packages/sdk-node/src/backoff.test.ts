import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const options = { minMs: 100, maxMs: 1000 };

  it('doubles per attempt up to the ceiling, with at most half of it random', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(2, options, () => 0)).toBe(200);
    expect(backoffDelay(2, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1000);
    expect(backoffDelay(10_000, options, () => 0)).toBe(500);
  });

  it('spreads retries of many clients over the jitter window', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(3, options)));
    expect(delays.size).toBeGreaterThan(50);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(400);
  });
});
