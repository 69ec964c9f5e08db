import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatCount, formatNumber, formatPercent, type Printer } from '../output.js';

interface Interval {
  estimate: number;
  interval: [number | null, number | null];
  pValue: number;
  significant: boolean;
}

interface MetricResult {
  metric: string;
  guardrail: boolean;
  direction: string;
  control: { units: number; mean: number | null };
  treatment: { units: number; mean: number | null };
  relative: Interval | null;
  verdict: 'improved' | 'regressed' | 'neutral' | 'unavailable';
  guardrailRegression: boolean | null;
  cuped: boolean;
  reason?: string;
}

export interface PulseResult {
  entity: { kind: string; name: string };
  environment: string;
  through: string | null;
  options: { alpha: number; cuped: boolean; sequential: boolean };
  comparisons: {
    rule?: string;
    control: { name: string; units: number };
    treatment: { name: string; units: number };
    srm: { pValue: number | null; mismatch: boolean | null; reason?: string };
    metrics: MetricResult[];
  }[];
}

function verdictText(metric: MetricResult, out: Printer): string {
  const guard = metric.guardrail ? ' (guardrail)' : '';
  switch (metric.verdict) {
    case 'improved':
      return out.style('green', `improved${guard}`);
    case 'regressed':
      return out.style(['bold', 'red'], `regressed${guard}`);
    case 'unavailable':
      return out.style('dim', metric.reason ? `n/a: ${metric.reason}` : 'n/a');
    default:
      return `neutral${guard}`;
  }
}

/** Prints a Pulse result: one table per rule (gates) or group (experiments), a row per metric. */
export function printPulse(result: PulseResult, out: Printer): void {
  const confidence = `${Math.round((1 - result.options.alpha) * 100)}%`;
  out.line(
    `${out.style('bold', `${result.entity.kind} ${result.entity.name}`)} in ${result.environment}${result.through ? ` through ${result.through}` : ''}: ${confidence} intervals, ${result.options.sequential ? 'always-valid (sequential)' : 'fixed-horizon'}${result.options.cuped ? ', CUPED' : ''}`,
  );
  if (result.comparisons.length === 0) {
    out.line('No exposures yet: results appear once SDKs have checked the gate and logged events.');
    return;
  }
  for (const comparison of result.comparisons) {
    out.line();
    const srm =
      comparison.srm.mismatch === null
        ? `sample ratio: ${comparison.srm.reason ?? 'not checked'}`
        : comparison.srm.mismatch
          ? out.style(
              ['bold', 'red'],
              `SAMPLE RATIO MISMATCH (p=${comparison.srm.pValue?.toFixed(4)}): do not trust these results`,
            )
          : `sample ratio ok (p=${comparison.srm.pValue?.toFixed(2)})`;
    out.line(
      `${comparison.rule ? `Rule ${comparison.rule}: ` : ''}${out.style('bold', comparison.treatment.name)} (${formatCount(comparison.treatment.units)} units) vs ${out.style('bold', comparison.control.name)} (${formatCount(comparison.control.units)} units); ${srm}`,
    );
    if (comparison.metrics.length === 0) {
      out.line('  No metrics: define some with the API (POST /api/v1/metrics) or in the console.');
      continue;
    }
    out.table(
      [
        'METRIC',
        comparison.control.name.toUpperCase(),
        comparison.treatment.name.toUpperCase(),
        'LIFT',
        `${confidence} INTERVAL`,
        'P',
        'VERDICT',
      ],
      comparison.metrics.map((metric) => [
        metric.metric,
        formatNumber(metric.control.mean),
        formatNumber(metric.treatment.mean),
        metric.relative ? formatPercent(metric.relative.estimate) : '—',
        metric.relative
          ? `[${formatPercent(metric.relative.interval[0] ?? -Infinity)}, ${formatPercent(metric.relative.interval[1] ?? Infinity)}]`
          : '—',
        metric.relative
          ? metric.relative.pValue < 0.001
            ? '<0.001'
            : metric.relative.pValue.toFixed(3)
          : '—',
        verdictText(metric, out),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right'],
    );
  }
}

export function registerPulse(program: Command, context: CommandContext): void {
  program
    .command('pulse')
    .description("a gate's impact on every metric: lifts and intervals, pass against fail, per rule")
    .argument('<gate>', 'the gate')
    .option('--env <environment>', 'where it was measured', 'production')
    .option('--alpha <alpha>', 'significance level (0.05: 95% intervals)', '0.05')
    .option('--sequential', 'always-valid intervals, safe to look at every day')
    .option('--no-cuped', 'without CUPED variance reduction')
    .option('--through <date>', 'results as of the end of this UTC day (YYYY-MM-DD)')
    .option('--json', 'the API result, as JSON')
    .addHelpText(
      'after',
      `
Each rule compares the units it let through (pass) with those it held back (fail). LIFT is the
relative change of the metric's mean; VERDICT says whether the interval excludes zero in the
metric's good or bad direction. Metrics come from the catalogue (POST /api/v1/metrics).

Example:
  $ switchyard pulse new_checkout --sequential`,
    )
    .action(
      async (
        gate: string,
        options: {
          env: string;
          alpha: string;
          sequential?: boolean;
          cuped: boolean;
          through?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const result = await context
          .api(command)
          .get<PulseResult>(`/pulse/gates/${encodeURIComponent(gate)}`, {
            environment: options.env,
            alpha: options.alpha,
            sequential: options.sequential === true,
            cuped: options.cuped,
            through: options.through,
          });
        if (options.json) return context.out.json(result);
        printPulse(result, context.out);
      },
    );
}
