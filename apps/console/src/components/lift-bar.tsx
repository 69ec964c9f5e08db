import type { PulseInterval, Verdict } from '../api/types.js';
import { formatLift } from '../format.js';

export interface LiftBarGeometry {
  /** x of zero lift. */
  zeroX: number;
  /** x of the interval's ends; an open end (null bound) reaches the edge. */
  lowX: number;
  highX: number;
  estimateX: number;
  openLow: boolean;
  openHigh: boolean;
}

/**
 * Where a relative lift and its interval fall on a bar `width` wide showing [-domain, +domain]
 * (zero in the middle), `padding` kept free at each side for the open-end arrows. Values past
 * the domain are clamped to its edge.
 */
export function liftBarGeometry(
  lift: Pick<PulseInterval, 'estimate' | 'interval'>,
  domain: number,
  width: number,
  padding = 6,
): LiftBarGeometry {
  const span = width - 2 * padding;
  const x = (value: number) => {
    const clamped = Math.max(-domain, Math.min(domain, value));
    return padding + ((clamped + domain) / (2 * domain)) * span;
  };
  const [low, high] = lift.interval;
  return {
    zeroX: x(0),
    lowX: low === null ? padding : x(low),
    highX: high === null ? width - padding : x(high),
    estimateX: x(lift.estimate),
    openLow: low === null,
    openHigh: high === null,
  };
}

/**
 * The half-width to show for a set of lifts: the largest finite bound or estimate, with 10%
 * headroom, never below 1% (so a flat result is not drawn as a huge effect). Every bar of a
 * comparison shares it, so bars are comparable.
 */
export function liftDomain(lifts: readonly (Pick<PulseInterval, 'estimate' | 'interval'> | null)[]): number {
  let max = 0.01;
  for (const lift of lifts) {
    if (!lift) continue;
    for (const value of [lift.estimate, ...lift.interval]) {
      if (value !== null && Number.isFinite(value)) max = Math.max(max, Math.abs(value));
    }
  }
  return max * 1.1;
}

const HEIGHT = 22;

/** A relative lift with its interval as a bar against zero, coloured by the verdict. */
export function LiftBar({
  lift,
  domain,
  verdict,
  width = 220,
  confidence = 95,
}: {
  lift: Pick<PulseInterval, 'estimate' | 'interval'>;
  domain: number;
  verdict: Verdict;
  width?: number;
  confidence?: number;
}) {
  const g = liftBarGeometry(lift, domain, width);
  const [low, high] = lift.interval;
  const label = `Lift ${formatLift(lift.estimate)}, ${confidence}% interval ${low === null ? 'unbounded' : formatLift(low)} to ${high === null ? 'unbounded' : formatLift(high)}`;
  const mid = HEIGHT / 2;
  return (
    <svg
      className={`lift-bar verdict-${verdict}`}
      width={width}
      height={HEIGHT}
      viewBox={`0 0 ${width} ${HEIGHT}`}
      role="img"
      aria-label={label}
    >
      <title>{label}</title>
      <line className="lift-axis" x1={0} x2={width} y1={mid} y2={mid} />
      <rect
        className="lift-interval"
        data-testid="lift-interval"
        x={Math.min(g.lowX, g.highX)}
        y={mid - 4}
        width={Math.max(1, Math.abs(g.highX - g.lowX))}
        height={8}
        rx={2}
      />
      {g.openLow && (
        <path
          className="lift-open"
          d={`M${g.lowX} ${mid - 5} L${g.lowX - 5} ${mid} L${g.lowX} ${mid + 5}Z`}
        />
      )}
      {g.openHigh && (
        <path
          className="lift-open"
          d={`M${g.highX} ${mid - 5} L${g.highX + 5} ${mid} L${g.highX} ${mid + 5}Z`}
        />
      )}
      <line className="lift-zero" data-testid="lift-zero" x1={g.zeroX} x2={g.zeroX} y1={2} y2={HEIGHT - 2} />
      <circle className="lift-estimate" data-testid="lift-estimate" cx={g.estimateX} cy={mid} r={3.5} />
    </svg>
  );
}
