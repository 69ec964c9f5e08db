import { formatLift } from '../format.js';

export interface ChartPoint {
  /** Axis label (a day or an hour). */
  label: string;
  value: number | null;
  low?: number | null;
  high?: number | null;
}

export interface ChartScale {
  min: number;
  max: number;
  x: (index: number) => number;
  y: (value: number) => number;
}

/** Linear scales for `points` in a width x height box with `pad` margins; the y range includes 0. */
export function chartScale(
  points: readonly ChartPoint[],
  width: number,
  height: number,
  pad = 28,
): ChartScale {
  let min = 0;
  let max = 0;
  for (const point of points) {
    for (const v of [point.value, point.low, point.high]) {
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }
  if (max === min) max = min + 1;
  const n = Math.max(1, points.length - 1);
  return {
    min,
    max,
    x: (index) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (index / n) * (width - 2 * pad)),
    y: (value) => height - pad + ((min - value) / (max - min)) * (height - 2 * pad),
  };
}

/**
 * A small line chart with an interval band and a zero line (a lift over time). The same
 * numbers are in a table under it for screen readers and exact values.
 */
export function LineChart({
  points,
  title,
  format = formatLift,
  width = 640,
  height = 180,
}: {
  points: ChartPoint[];
  title: string;
  format?: (value: number) => string;
  width?: number;
  height?: number;
}) {
  const s = chartScale(points, width, height);
  const defined = points
    .map((p, i) => ({ ...p, i }))
    .filter((p) => p.value !== null && Number.isFinite(p.value));
  const line = defined
    .map((p, k) => `${k === 0 ? 'M' : 'L'}${s.x(p.i).toFixed(1)} ${s.y(p.value as number).toFixed(1)}`)
    .join(' ');
  const banded = defined.filter(
    (p) => p.low !== null && p.low !== undefined && p.high !== null && p.high !== undefined,
  );
  const band =
    banded.length > 0
      ? `${banded.map((p, k) => `${k === 0 ? 'M' : 'L'}${s.x(p.i).toFixed(1)} ${s.y(p.high as number).toFixed(1)}`).join(' ')} ${[
          ...banded,
        ]
          .reverse()
          .map((p) => `L${s.x(p.i).toFixed(1)} ${s.y(p.low as number).toFixed(1)}`)
          .join(' ')}Z`
      : '';
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <figure className="line-chart">
      <svg
        width="100%"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={title}
        preserveAspectRatio="xMidYMid meet"
      >
        <title>{title}</title>
        {band && banded.length > 1 && <path className="chart-band" d={band} />}
        {banded.length === 1 &&
          banded.map((p) => (
            <line
              key="single"
              className="chart-interval"
              x1={s.x(p.i)}
              x2={s.x(p.i)}
              y1={s.y(p.low as number)}
              y2={s.y(p.high as number)}
            />
          ))}
        <line className="chart-zero" x1={28} x2={width - 28} y1={s.y(0)} y2={s.y(0)} />
        <text className="chart-tick" x={2} y={s.y(s.max) + 4}>
          {format(s.max)}
        </text>
        <text className="chart-tick" x={2} y={s.y(0) + 4}>
          0
        </text>
        {s.min < 0 && (
          <text className="chart-tick" x={2} y={s.y(s.min) + 4}>
            {format(s.min)}
          </text>
        )}
        {line && <path className="chart-line" d={line} />}
        {defined.map((p) => (
          <circle key={p.i} className="chart-dot" cx={s.x(p.i)} cy={s.y(p.value as number)} r={2.5} />
        ))}
        {first && (
          <text className="chart-tick" x={s.x(0)} y={height - 8} textAnchor="start">
            {first.label}
          </text>
        )}
        {last && points.length > 1 && (
          <text className="chart-tick" x={s.x(points.length - 1)} y={height - 8} textAnchor="end">
            {last.label}
          </text>
        )}
      </svg>
      <details>
        <summary>Show as table</summary>
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Value</th>
              <th scope="col">Interval</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.label}>
                <td>{p.label}</td>
                <td>{p.value === null ? '—' : format(p.value)}</td>
                <td>
                  {p.low === undefined
                    ? ''
                    : `${p.low === null ? '−∞' : format(p.low)} to ${p.high === null || p.high === undefined ? '+∞' : format(p.high)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
