import { useMemo, useState } from 'react';
import type { Environment, PulseComparison, PulseMetric, PulseResult, PulseSeries } from '../api/types.js';
import { useInterval, useResource } from '../api/use-api.js';
import { FieldErrors } from '../components/field-errors.js';
import { LiftBar, liftDomain } from '../components/lift-bar.js';
import { type ChartPoint, LineChart } from '../components/line-chart.js';
import { EmptyState, Loaded } from '../components/status.js';
import { CheckboxField, SelectField, TextField } from '../components/text-field.js';
import { formatCount, formatLift, formatNumber, formatPValue } from '../format.js';

const VERDICT_LABEL: Record<PulseMetric['verdict'], string> = {
  improved: 'Improved',
  regressed: 'Regressed',
  neutral: 'No significant change',
  unavailable: 'Not enough data',
};

/** Refresh of the results while the panel is open (the aggregates move every 2 s at most). */
const REFRESH_MS = 15_000;

/** The confidence levels offered, and the alpha the Pulse API takes for each. */
const CONFIDENCE = [
  ['90', '90%'],
  ['95', '95%'],
  ['99', '99%'],
] as const;
type Confidence = (typeof CONFIDENCE)[number][0];

/** What the Pulse results API accepts (packages/server/src/routes/pulse.ts), as the controls hold it. */
export interface PulseOptions {
  confidence: Confidence;
  /** Variance reduction with each unit's pre-exposure data (non-ratio metrics). */
  cuped: boolean;
  /** Always-valid confidence sequences rather than fixed-horizon intervals. */
  sequential: boolean;
  /** Sequential only: the sample size where the interval is tightest; empty for the server's default. */
  nStar: string;
  /** Results as of the end of this UTC day (YYYY-MM-DD); empty: to date. */
  through: string;
}

export const DEFAULT_PULSE_OPTIONS: PulseOptions = {
  confidence: '95',
  cuped: true,
  sequential: true,
  nStar: '',
  through: '',
};

/** Why an expected sample size cannot be sent (the API takes whole numbers from 100 to 1e9). */
function nStarProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 100 && n <= 1e9 ? undefined : 'a whole number from 100 up';
}

/** The query for the results (and, without `through`, the series). */
export function pulseQuery(options: PulseOptions, environment: string) {
  return {
    environment,
    alpha: Math.round(100 - Number(options.confidence)) / 100,
    cuped: options.cuped,
    sequential: options.sequential,
    ...(options.sequential &&
      options.nStar.trim() !== '' &&
      !nStarProblem(options.nStar) && { nStar: Number(options.nStar) }),
    ...(options.through && { through: options.through }),
  };
}

/**
 * Pulse for a gate (each rule's passing units against its failing ones) or an experiment (each
 * group against control): per metric the means, the relative lift with its interval drawn
 * against zero, significance, and the sample-ratio check; then the lift over time by day or
 * hour. The analysis options (confidence, CUPED, sequential testing, the date) re-query both.
 */
export function PulsePanel({
  kind,
  name,
  defaultEnvironment,
  environments,
  ruleNames,
}: {
  kind: 'gate' | 'experiment';
  name: string;
  defaultEnvironment: string;
  environments: Environment[];
  /** Gates: rule id -> its name (release stages included). */
  ruleNames?: ReadonlyMap<string, string>;
}) {
  const [environment, setEnvironment] = useState(defaultEnvironment);
  const [options, setOptions] = useState(DEFAULT_PULSE_OPTIONS);
  const base = `/pulse/${kind}s/${encodeURIComponent(name)}`;
  const query = pulseQuery(options, environment);
  const result = useResource<PulseResult>(base, query);
  // Results through a past day do not move: no need to refresh them.
  useInterval(() => void result.reload(), options.through ? null : REFRESH_MS);

  return (
    <section aria-labelledby="pulse-title" className="pulse">
      <header className="section-header">
        <h2 id="pulse-title">Pulse</h2>
        <label className="inline-field">
          Environment
          <select value={environment} onChange={(event) => setEnvironment(event.target.value)}>
            {(environments.length ? environments.map((e) => e.name) : [environment]).map((env) => (
              <option key={env} value={env}>
                {env}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void result.reload()}>
          Refresh
        </button>
      </header>
      <FieldErrors error={result.error}>
        <PulseOptionsBar options={options} onChange={setOptions} />
      </FieldErrors>
      <Loaded resource={result} label="Pulse results">
        {(data) =>
          data.comparisons.length === 0 ? (
            <EmptyState title="No exposures yet">
              <p>Results appear once SDKs log exposures for this {kind} and metric events arrive.</p>
            </EmptyState>
          ) : (
            <>
              <p className="muted small" data-testid="pulse-method">
                {describeOptions(data)} Means are per exposed unit, counted from its first exposure.
              </p>
              {data.comparisons.map((comparison, index) => (
                <ComparisonView
                  key={`${comparison.treatment.arm}-${comparison.control.arm}`}
                  comparison={comparison}
                  title={comparisonTitle(kind, comparison, ruleNames)}
                  alpha={data.options.alpha}
                  index={index}
                />
              ))}
              <SeriesView
                base={base}
                query={query}
                comparisons={data.comparisons}
                kind={kind}
                ruleNames={ruleNames}
              />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** What the results were computed with, as the server says (not as the controls say). */
function describeOptions(data: PulseResult): string {
  const { alpha, cuped, sequential } = data.options;
  const level = `${Math.round((1 - alpha) * 1000) / 10}%`;
  return [
    sequential
      ? `${level} always-valid intervals (safe to look at any time).`
      : `${level} fixed-horizon intervals (valid for one look at the planned sample size).`,
    cuped ? 'CUPED on: metrics with pre-exposure data are variance-adjusted.' : 'CUPED off.',
    data.through ? `Results through the end of ${data.through} (UTC).` : 'Results to date.',
  ].join(' ');
}

function PulseOptionsBar({
  options,
  onChange,
}: {
  options: PulseOptions;
  onChange: (options: PulseOptions) => void;
}) {
  const [nStar, setNStar] = useState(options.nStar);
  const set = (changes: Partial<PulseOptions>) => onChange({ ...options, ...changes });
  const problem = nStarProblem(nStar);
  return (
    <fieldset className="pulse-options">
      <legend>Analysis</legend>
      <SelectField
        label="Confidence"
        path="querystring.alpha"
        value={options.confidence}
        onChange={(confidence) => set({ confidence })}
        options={CONFIDENCE}
      />
      <CheckboxField label="CUPED" checked={options.cuped} onChange={(cuped) => set({ cuped })} />
      <CheckboxField
        label="Sequential testing"
        checked={options.sequential}
        onChange={(sequential) => set({ sequential })}
      />
      {options.sequential && (
        <TextField
          label="Expected units"
          path="querystring.nStar"
          hint="Optional: where the interval is tightest"
          clientError={problem}
          type="number"
          min={100}
          step={1}
          value={nStar}
          onChange={(text) => {
            setNStar(text);
            // Only a size the API takes re-queries; half-typed numbers wait.
            if (!nStarProblem(text)) set({ nStar: text });
          }}
        />
      )}
      <TextField
        label="Through"
        path="querystring.through"
        hint="UTC day; empty: to date"
        type="date"
        value={options.through}
        onChange={(through) => set({ through })}
      />
    </fieldset>
  );
}

export function comparisonTitle(
  kind: 'gate' | 'experiment',
  comparison: PulseComparison,
  ruleNames?: ReadonlyMap<string, string>,
): string {
  if (kind === 'gate') {
    const rule = comparison.rule ? (ruleNames?.get(comparison.rule) ?? comparison.rule) : 'gate';
    return `${rule}: passing vs failing units`;
  }
  return `${comparison.treatment.name} vs ${comparison.control.name}`;
}

function ComparisonView({
  comparison,
  title,
  alpha,
  index,
}: {
  comparison: PulseComparison;
  title: string;
  alpha: number;
  index: number;
}) {
  const domain = liftDomain(comparison.metrics.map((metric) => metric.relative));
  const { srm } = comparison;
  const headingId = `comparison-${index}`;
  return (
    <section className="card comparison" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <p className="arms">
        <span>
          <strong>{comparison.treatment.name}</strong>: {formatCount(comparison.treatment.units)} units
        </span>
        <span>
          <strong>{comparison.control.name}</strong>: {formatCount(comparison.control.units)} units
        </span>
        {srm.mismatch === true ? (
          <span
            className="badge off"
            title="The split of units differs from the one configured: results may be biased"
          >
            Sample ratio mismatch (p {formatPValue(srm.pValue)})
          </span>
        ) : srm.mismatch === false ? (
          <span className="badge on">Sample ratio OK (p {formatPValue(srm.pValue)})</span>
        ) : (
          <span className="badge">Sample ratio: {srm.reason ?? 'not checked'}</span>
        )}
      </p>
      {comparison.metrics.length === 0 ? (
        <p className="muted">No metrics in the catalogue yet.</p>
      ) : (
        <table className="table pulse-table" aria-label={`Metrics: ${title}`}>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">{comparison.control.name} mean</th>
              <th scope="col">{comparison.treatment.name} mean</th>
              <th scope="col">Lift</th>
              <th scope="col">
                Interval <span className="muted">(0 in the middle)</span>
              </th>
              <th scope="col">p-value</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {comparison.metrics.map((metric) => (
              <tr key={metric.metric} className={`verdict-row-${metric.verdict}`}>
                <th scope="row">
                  {metric.metric}
                  {metric.guardrail && <span className="tag">guardrail</span>}
                  <div className="muted small">
                    {metric.type}, {metric.direction === 'decrease' ? 'lower is better' : 'higher is better'}
                  </div>
                </th>
                <td>{formatNumber(metric.control.mean)}</td>
                <td>{formatNumber(metric.treatment.mean)}</td>
                <td>
                  {metric.relative ? (
                    <>
                      <strong>{formatLift(metric.relative.estimate)}</strong>
                      <div className="muted small">
                        [{formatLift(metric.relative.interval[0])}, {formatLift(metric.relative.interval[1])}]
                      </div>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {metric.relative ? (
                    <LiftBar
                      lift={metric.relative}
                      domain={domain}
                      verdict={metric.verdict}
                      confidence={Math.round((1 - alpha) * 100)}
                    />
                  ) : (
                    <span className="muted small">{metric.reason ?? 'not enough data'}</span>
                  )}
                </td>
                <td>{formatPValue(metric.relative?.pValue)}</td>
                <td>
                  <span className={`verdict verdict-${metric.verdict}`}>{VERDICT_LABEL[metric.verdict]}</span>
                  {metric.guardrailRegression && (
                    <div className="verdict-regressed small">guardrail regression</div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function periodLabel(through: string, granularity: 'day' | 'hour'): string {
  if (granularity === 'day') return through.slice(0, 10);
  const date = new Date(through);
  return Number.isNaN(date.getTime()) ? through : `${through.slice(5, 10)} ${through.slice(11, 16)}`;
}

/** The points of one metric of one comparison over a series (matched by arms, as results shift). */
export function seriesPoints(
  series: PulseSeries,
  comparison: Pick<PulseComparison, 'control' | 'treatment'>,
  metric: string,
): ChartPoint[] {
  const periods = (series.granularity === 'day' ? series.days : series.hours) ?? [];
  return periods.map((period) => {
    const match = period.comparisons.find(
      (c) => c.treatment.arm === comparison.treatment.arm && c.control.arm === comparison.control.arm,
    );
    const relative = match?.metrics.find((m) => m.metric === metric)?.relative ?? null;
    return {
      label: periodLabel(period.through, series.granularity),
      value: relative ? relative.estimate : null,
      low: relative ? relative.interval[0] : null,
      high: relative ? relative.interval[1] : null,
    };
  });
}

function SeriesView({
  base,
  query,
  comparisons,
  kind,
  ruleNames,
}: {
  base: string;
  /** The results' query: the series is computed the same way, up to the results' day. */
  query: ReturnType<typeof pulseQuery>;
  comparisons: PulseComparison[];
  kind: 'gate' | 'experiment';
  ruleNames?: ReadonlyMap<string, string> | undefined;
}) {
  const [granularity, setGranularity] = useState<'day' | 'hour'>('day');
  const [comparisonIndex, setComparisonIndex] = useState(0);
  const comparison = comparisons[comparisonIndex] ?? comparisons[0];
  const [metric, setMetric] = useState(comparison?.metrics[0]?.metric ?? '');
  const [from, setFrom] = useState('');
  const { through, ...options } = query;
  const series = useResource<PulseSeries>(`${base}/series`, {
    ...options,
    granularity,
    ...(from && { from }),
    ...(through && { to: through }),
  });
  const points = useMemo(
    () => (series.data && comparison ? seriesPoints(series.data, comparison, metric) : []),
    [series.data, comparison, metric],
  );
  if (!comparison) return null;
  return (
    <section className="card" aria-labelledby="series-title">
      <header className="section-header">
        <h3 id="series-title">Lift over time</h3>
        {comparisons.length > 1 && (
          <label className="inline-field">
            Comparison
            <select
              value={comparisonIndex}
              onChange={(event) => setComparisonIndex(Number(event.target.value))}
            >
              {comparisons.map((c, index) => (
                <option key={c.treatment.arm} value={index}>
                  {comparisonTitle(kind, c, ruleNames)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="inline-field">
          Metric
          <select value={metric} onChange={(event) => setMetric(event.target.value)}>
            {comparison.metrics.map((m) => (
              <option key={m.metric} value={m.metric}>
                {m.metric}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          From
          <input type="date" value={from} max={through} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <fieldset className="segmented">
          <legend className="visually-hidden">Granularity</legend>
          {(['day', 'hour'] as const).map((g) => (
            <label key={g} className="inline">
              <input
                type="radio"
                name="granularity"
                value={g}
                checked={granularity === g}
                onChange={() => setGranularity(g)}
              />
              {g === 'day' ? 'By day' : 'By hour'}
            </label>
          ))}
        </fieldset>
      </header>
      <Loaded resource={series} label="the series">
        {() =>
          points.length === 0 ? (
            <p className="muted">No data for this metric yet.</p>
          ) : (
            <LineChart
              points={points}
              title={`Relative lift of ${metric} over time, by ${granularity}, with its interval`}
            />
          )
        }
      </Loaded>
    </section>
  );
}
