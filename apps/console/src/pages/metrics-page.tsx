import { useEffect, useRef, useState } from 'react';
import type { EventSelector, Metric } from '../api/types.js';
import { useApi, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { FieldMessage } from '../components/field-errors.js';
import { EmptyState, Loaded } from '../components/status.js';
import { CheckboxField, SelectField, TextField } from '../components/text-field.js';

const TYPES = [
  ['conversion', 'Conversion: did the unit do it at least once'],
  ['event_count', 'Event count per unit'],
  ['sum', 'Sum of a value per unit'],
  ['mean', 'Mean of a value per unit'],
  ['ratio', 'Ratio: numerator over denominator'],
] as const;

type Operator = 'eq' | 'neq' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists';

/** The server's filter operators (packages/server/src/domain/metric.ts), as people read them. */
const OPERATORS: readonly (readonly [Operator, string])[] = [
  ['eq', 'equals'],
  ['neq', 'does not equal'],
  ['in', 'is one of'],
  ['not_in', 'is none of'],
  ['gt', 'is greater than'],
  ['gte', 'is at least'],
  ['lt', 'is less than'],
  ['lte', 'is at most'],
  ['exists', 'is present'],
];
const LIST_OPERATORS: ReadonlySet<Operator> = new Set(['in', 'not_in']);
const NUMERIC_OPERATORS: ReadonlySet<Operator> = new Set(['gt', 'gte', 'lt', 'lte']);

type Filter = EventSelector['filters'][number];

interface FilterDraft {
  key: number;
  field: string;
  operator: Operator;
  /** As typed; comma-separated for "is one of" and "is none of". */
  values: string;
}

interface SelectorDraft {
  event: string;
  valueField: string;
  filters: FilterDraft[];
}

interface MetricDraft {
  name: string;
  description: string;
  type: Metric['type'];
  numerator: SelectorDraft;
  denominator: SelectorDraft;
  numeratorAggregation: 'count' | 'sum';
  denominatorAggregation: 'count' | 'sum';
  direction: 'increase' | 'decrease';
  guardrail: boolean;
  unitType: string;
}

let filterKey = 0;
function filterDraft(filter: Partial<Filter>): FilterDraft {
  filterKey += 1;
  return {
    key: filterKey,
    field: filter.field ?? 'value',
    operator: (filter.operator as Operator | undefined) ?? 'eq',
    values: (filter.values ?? []).map(String).join(', '),
  };
}

const selectorDraft = (selector: EventSelector | null | undefined): SelectorDraft => ({
  event: selector?.event ?? '',
  valueField: selector?.valueField ?? 'value',
  filters: (selector?.filters ?? []).map(filterDraft),
});

function draftOf(metric: Metric | null): MetricDraft {
  return {
    name: metric?.name ?? '',
    description: metric?.description ?? '',
    type: metric?.type ?? 'conversion',
    numerator: selectorDraft(metric?.numerator),
    denominator: selectorDraft(metric?.denominator),
    numeratorAggregation: metric?.numeratorAggregation ?? 'count',
    denominatorAggregation: metric?.denominatorAggregation ?? 'count',
    direction: metric?.direction ?? 'increase',
    guardrail: metric?.guardrail ?? false,
    unitType: metric?.unitType ?? 'userID',
  };
}

/**
 * A filter's values as the API takes them: none for "is present", a comma-separated list for
 * "is one of", numbers for comparisons (the server compares those numerically), else the text.
 */
export function filterValues(operator: Operator, text: string): (string | number)[] {
  if (operator === 'exists') return [];
  if (LIST_OPERATORS.has(operator)) {
    return text
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
  }
  const value = text.trim();
  if (value === '') return [];
  return NUMERIC_OPERATORS.has(operator) && Number.isFinite(Number(value)) ? [Number(value)] : [value];
}

const selectorBody = (selector: SelectorDraft) => ({
  event: selector.event.trim(),
  valueField: selector.valueField.trim() || 'value',
  filters: selector.filters.map((filter) => ({
    field: filter.field.trim(),
    operator: filter.operator,
    values: filterValues(filter.operator, filter.values),
  })),
});

function bodyOf(draft: MetricDraft) {
  return {
    description: draft.description,
    type: draft.type,
    numerator: selectorBody(draft.numerator),
    denominator: draft.type === 'ratio' ? selectorBody(draft.denominator) : null,
    numeratorAggregation: draft.numeratorAggregation,
    denominatorAggregation: draft.denominatorAggregation,
    direction: draft.direction,
    guardrail: draft.guardrail,
    unitType: draft.unitType.trim() || 'userID',
  };
}

function describeSelector(
  selector: EventSelector,
  aggregation: 'count' | 'sum',
  type: Metric['type'],
): string {
  const filters = selector.filters
    .map((f) => ` where ${f.field} ${f.operator}${f.values.length ? ` ${f.values.join(', ')}` : ''}`)
    .join('');
  const reads =
    type === 'sum' || type === 'mean' || (type === 'ratio' && aggregation === 'sum')
      ? ` (${selector.valueField})`
      : '';
  return `${selector.event}${reads}${filters}`;
}

/** The metric catalogue: what Pulse and release guardrails measure. */
export function MetricsPage() {
  const metrics = useResource<{ metrics: Metric[] }>('/metrics');
  const [editing, setEditing] = useState<Metric | null>(null);
  const [done, setDone] = useState<{ name: string; created: boolean; form: number } | null>(null);
  const finish = (metric: Metric, created: boolean) => {
    setEditing(null);
    setDone({ name: metric.name, created, form: (done?.form ?? 0) + 1 });
    void metrics.reload();
  };
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <p className="muted">
        How Pulse turns events into one number per unit. Metrics flagged as guardrails can stop a release.
      </p>
      <Loaded resource={metrics} label="metrics">
        {({ metrics: list }) =>
          list.length === 0 ? (
            <EmptyState title="No metrics yet">
              <p>Create one below from an event your app logs.</p>
            </EmptyState>
          ) : (
            <DataTable
              label="Metrics"
              columns={[
                'Name',
                'Type',
                'Events',
                'Better when',
                'Guardrail',
                'Unit',
                'Last change',
                <span key="actions" className="visually-hidden">
                  Actions
                </span>,
              ]}
            >
              {list.map((metric) => (
                <tr key={metric.name}>
                  <NameCell name={metric.name} description={metric.description} />
                  <td>{metric.type}</td>
                  <td className="small">
                    {describeSelector(metric.numerator, metric.numeratorAggregation, metric.type)}
                    {metric.denominator && (
                      <>
                        {' '}
                        ÷ {describeSelector(metric.denominator, metric.denominatorAggregation, metric.type)}
                      </>
                    )}
                  </td>
                  <td>{metric.direction === 'increase' ? 'higher' : 'lower'}</td>
                  <td>{metric.guardrail ? <span className="badge warn">guardrail</span> : '—'}</td>
                  <td>{metric.unitType}</td>
                  <ChangedCell at={metric.updatedAt} />
                  <td>
                    <button type="button" className="small" onClick={() => setEditing(metric)}>
                      Edit<span className="visually-hidden"> {metric.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
      <MetricForm
        key={editing ? `edit-${editing.name}-${editing.version}` : `new-${done?.form ?? 0}`}
        metric={editing}
        onSaved={finish}
        onCancel={() => setEditing(null)}
      />
      {done && (
        <p className="success" role="status">
          {done.created ? 'Created' : 'Saved'} {done.name}.
        </p>
      )}
    </section>
  );
}

/** Creates a metric, or (given one) edits it: everything but its name. */
function MetricForm({
  metric,
  onSaved,
  onCancel,
}: {
  metric: Metric | null;
  onSaved: (metric: Metric, created: boolean) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const [draft, setDraft] = useState(() => draftOf(metric));
  const set = (changes: Partial<MetricDraft>) => setDraft({ ...draft, ...changes });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (metric) heading.current?.focus();
  }, [metric]);
  const { type } = draft;
  const title = metric ? `Edit metric ${metric.name}` : 'New metric';
  return (
    <section className="card" aria-labelledby="metric-form-title">
      <h2 id="metric-form-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <ApiForm
        label={title}
        bar="button-row"
        submitLabel={metric ? 'Save metric' : 'Create metric'}
        errorTitle={metric ? 'Metric not saved' : 'Metric not created'}
        send={() =>
          metric
            ? api.patch<Metric>(`/metrics/${encodeURIComponent(metric.name)}`, bodyOf(draft), metric.version)
            : api.post<Metric>('/metrics', { name: draft.name.trim(), ...bodyOf(draft) })
        }
        onDone={(saved) => onSaved(saved, metric === null)}
        actions={
          metric && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )
        }
      >
        <div className="form-grid">
          <TextField
            label="Metric name"
            path="name"
            required
            spellCheck={false}
            disabled={metric !== null}
            hint={metric ? 'Names cannot change' : undefined}
            value={draft.name}
            onChange={(name) => set({ name })}
          />
          <SelectField
            label="Metric type"
            path="type"
            value={type}
            onChange={(t) => set({ type: t })}
            options={TYPES}
          />
          <SelectField
            label="Better when"
            path="direction"
            value={draft.direction}
            onChange={(direction) => set({ direction })}
            options={[
              ['increase', 'higher (conversion, revenue)'],
              ['decrease', 'lower (errors, latency)'],
            ]}
          />
          <TextField
            label="Unit type"
            path="unitType"
            value={draft.unitType}
            onChange={(unitType) => set({ unitType })}
          />
          <TextField
            label="Description"
            path="description"
            value={draft.description}
            onChange={(description) => set({ description })}
          />
          <CheckboxField
            label="Guardrail: watched on every release"
            checked={draft.guardrail}
            onChange={(guardrail) => set({ guardrail })}
          />
        </div>
        <SelectorFields
          part="numerator"
          title={type === 'ratio' ? 'Numerator' : 'Event'}
          selector={draft.numerator}
          onChange={(numerator) => set({ numerator })}
          aggregation={type === 'ratio' ? draft.numeratorAggregation : undefined}
          onAggregation={(numeratorAggregation) => set({ numeratorAggregation })}
          readsValue={
            type === 'sum' || type === 'mean' || (type === 'ratio' && draft.numeratorAggregation === 'sum')
          }
        />
        {type === 'ratio' && (
          <SelectorFields
            part="denominator"
            title="Denominator"
            selector={draft.denominator}
            onChange={(denominator) => set({ denominator })}
            aggregation={draft.denominatorAggregation}
            onAggregation={(denominatorAggregation) => set({ denominatorAggregation })}
            readsValue={draft.denominatorAggregation === 'sum'}
          />
        )}
      </ApiForm>
    </section>
  );
}

/** Which events count (the event's name and its filters) and, when summed, where the number is read. */
function SelectorFields({
  part,
  title,
  selector,
  onChange,
  aggregation,
  onAggregation,
  readsValue,
}: {
  part: 'numerator' | 'denominator';
  title: string;
  selector: SelectorDraft;
  onChange: (selector: SelectorDraft) => void;
  /** Ratio parts: count the events or sum their value. */
  aggregation: 'count' | 'sum' | undefined;
  onAggregation: (aggregation: 'count' | 'sum') => void;
  readsValue: boolean;
}) {
  const set = (changes: Partial<SelectorDraft>) => onChange({ ...selector, ...changes });
  const setFilter = (index: number, changes: Partial<FilterDraft>) =>
    set({ filters: selector.filters.map((f, i) => (i === index ? { ...f, ...changes } : f)) });
  return (
    <fieldset>
      <legend>{title}</legend>
      <div className="form-grid">
        <TextField
          label={`${title} event`}
          path={`${part}.event`}
          hint="As logged with logEvent"
          required
          spellCheck={false}
          value={selector.event}
          onChange={(event) => set({ event })}
        />
        {aggregation && (
          <SelectField
            label={`${title} counts`}
            path={`${part}Aggregation`}
            value={aggregation}
            onChange={onAggregation}
            options={[
              ['count', 'events'],
              ['sum', 'the sum of a value'],
            ]}
          />
        )}
        {readsValue && (
          <TextField
            label={`${title} value field`}
            path={`${part}.valueField`}
            hint='"value" or "metadata.<key>"'
            spellCheck={false}
            value={selector.valueField}
            onChange={(valueField) => set({ valueField })}
          />
        )}
      </div>
      <p className="muted small">
        {selector.filters.length === 0
          ? 'Every event of this name counts. Add a filter to count only some.'
          : 'Only events passing every filter count. A filter reads "value" or "metadata.<key>".'}
      </p>
      <FieldMessage path={`${part}.filters`} exact />
      {selector.filters.map((filter, index) => {
        const path = `${part}.filters.${index}`;
        const label = `${title} filter ${index + 1}`;
        return (
          // biome-ignore lint/a11y/useSemanticElements: a fieldset inside the part's fieldset would need a legend per row
          <div key={filter.key} className="form-grid filter-row" role="group" aria-label={label}>
            <TextField
              label="Field"
              path={`${path}.field`}
              spellCheck={false}
              value={filter.field}
              onChange={(field) => setFilter(index, { field })}
            />
            <SelectField
              label="Condition"
              path={`${path}.operator`}
              value={filter.operator}
              onChange={(operator) => setFilter(index, { operator })}
              options={OPERATORS}
            />
            {filter.operator !== 'exists' && (
              <TextField
                label={LIST_OPERATORS.has(filter.operator) ? 'Values' : 'Value'}
                path={`${path}.values`}
                hint={LIST_OPERATORS.has(filter.operator) ? 'Comma-separated' : undefined}
                spellCheck={false}
                value={filter.values}
                onChange={(values) => setFilter(index, { values })}
              />
            )}
            <button
              type="button"
              className="icon-button"
              onClick={() => set({ filters: selector.filters.filter((_, i) => i !== index) })}
            >
              Remove<span className="visually-hidden"> {label.toLowerCase()}</span>
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => set({ filters: [...selector.filters, filterDraft({})] })}>
        Add {title.toLowerCase()} filter
      </button>
    </fieldset>
  );
}
