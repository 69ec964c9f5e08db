import type { PulseResult } from '../api/types.js';
import { useInterval, useResource } from '../api/use-api.js';
import { formatCount } from '../format.js';

const POLL_MS = 5_000;

/** Exposed units (first exposures) passing and failing, summed over the gate's rules. */
export function exposureTotals(result: PulseResult): { passing: number; failing: number } {
  let passing = 0;
  let failing = 0;
  for (const comparison of result.comparisons) {
    passing += comparison.treatment.units;
    failing += comparison.control.units;
  }
  return { passing, failing };
}

/**
 * Live exposure counts: Pulse's units, polled every few seconds while the page is visible
 * (Pulse folds new events in every 2 s).
 */
export function LiveExposures({ gate, environment }: { gate: string; environment: string }) {
  const result = useResource<PulseResult>(`/pulse/gates/${encodeURIComponent(gate)}`, {
    environment,
    cuped: false,
  });
  useInterval(() => void result.reload(), POLL_MS);
  if (!result.data) {
    return result.error ? <p className="muted small">Exposures unavailable ({result.error.code})</p> : null;
  }
  const totals = exposureTotals(result.data);
  return (
    <p className="live-exposures small" aria-live="off">
      <span className="live-dot" aria-hidden="true" />
      Exposed units in {environment}:{' '}
      <strong data-testid="exposures-passing">{formatCount(totals.passing)}</strong> passing ·{' '}
      <strong data-testid="exposures-failing">{formatCount(totals.failing)}</strong> failing
    </p>
  );
}
