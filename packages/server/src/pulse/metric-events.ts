import type { EventSelector, StoredMetric } from '../domain/metric.js';

/** The parts of a stored event a metric reads. */
export interface MetricEvent {
  eventName: string;
  /** The event's value as stored (text; numbers as their JSON). */
  value: string | null;
  metadata: Record<string, unknown>;
}

/** What one event adds to a unit's numerator and denominator for one metric. */
export interface Contribution {
  num: number;
  den: number;
}

/** A catalogue metric compiled for the aggregator. */
export interface CompiledMetric {
  name: string;
  type: StoredMetric['type'];
  unitType: string;
  /** The event's contribution, or null when the metric does not read it. */
  contribution(event: MetricEvent): Contribution | null;
  /** A unit's value from its numerator total (conversion: did it at all). */
  unitValue(num: number): number;
  /** Ratio-like metrics (ratio, mean) have a denominator and no CUPED covariate here. */
  isRatio: boolean;
  /** Per-unit values are capped: Pulse keeps value buckets for it. */
  winsorized: boolean;
}

function readField(event: MetricEvent, field: string): unknown {
  if (field === 'value') {
    if (event.value === null) return null;
    const number = Number(event.value);
    return Number.isNaN(number) ? event.value : number;
  }
  return event.metadata[field.slice('metadata.'.length)];
}

function numeric(value: unknown): number | null {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(number) ? number : null;
}

function compileSelector(selector: EventSelector): (event: MetricEvent) => boolean {
  const filters = selector.filters.map((filter) => {
    const values = filter.values.map(String);
    return (event: MetricEvent) => {
      const raw = readField(event, filter.field);
      const text = raw === null || raw === undefined ? null : String(raw);
      switch (filter.operator) {
        case 'exists':
          return text !== null;
        case 'eq':
        case 'in':
          return text !== null && values.includes(text);
        case 'neq':
        case 'not_in':
          return text === null || !values.includes(text);
        default: {
          const left = numeric(raw);
          const right = numeric(filter.values[0]);
          if (left === null || right === null) return false;
          if (filter.operator === 'gt') return left > right;
          if (filter.operator === 'gte') return left >= right;
          if (filter.operator === 'lt') return left < right;
          return left <= right;
        }
      }
    };
  });
  return (event) => event.eventName === selector.event && filters.every((matches) => matches(event));
}

/** The amount an event adds: 1 when counting, its number when summing (0 if it has none). */
function amount(selector: EventSelector, aggregation: 'count' | 'sum'): (event: MetricEvent) => number {
  return aggregation === 'count' ? () => 1 : (event) => numeric(readField(event, selector.valueField)) ?? 0;
}

export function compileMetric(metric: StoredMetric): CompiledMetric {
  const numeratorMatches = compileSelector(metric.numerator);
  const isRatio = metric.type === 'ratio' || metric.type === 'mean';
  const numeratorAggregation =
    metric.type === 'ratio'
      ? metric.numeratorAggregation
      : metric.type === 'event_count' || metric.type === 'conversion'
        ? 'count'
        : 'sum';
  const numeratorAmount = amount(metric.numerator, numeratorAggregation);
  // A mean is the ratio of the value's sum to the count of the same events.
  const denominator =
    metric.type === 'ratio' ? metric.denominator : metric.type === 'mean' ? metric.numerator : null;
  const denominatorMatches = denominator ? compileSelector(denominator) : () => false;
  const denominatorAmount = denominator
    ? amount(denominator, metric.type === 'ratio' ? metric.denominatorAggregation : 'count')
    : () => 0;
  return {
    name: metric.name,
    type: metric.type,
    unitType: metric.unitType,
    isRatio,
    winsorized: metric.winsorizePercentile !== null,
    unitValue: metric.type === 'conversion' ? (num) => (num > 0 ? 1 : 0) : (num) => num,
    contribution(event) {
      const num = numeratorMatches(event) ? numeratorAmount(event) : null;
      const den = denominatorMatches(event) ? denominatorAmount(event) : null;
      if (num === null && den === null) return null;
      return { num: num ?? 0, den: den ?? 0 };
    },
  };
}
