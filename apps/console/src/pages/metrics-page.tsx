import { type FormEvent, useState } from 'react';
import type { Metric } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatRelative } from '../format.js';

const TYPES: { value: Metric['type']; label: string }[] = [
  { value: 'conversion', label: 'Conversion: did the unit do it at least once' },
  { value: 'event_count', label: 'Event count per unit' },
  { value: 'sum', label: 'Sum of a value per unit' },
  { value: 'mean', label: 'Mean of a value per unit' },
  { value: 'ratio', label: 'Ratio: numerator over denominator' },
];

function describeSelector(
  selector: Metric['numerator'],
  aggregation: 'count' | 'sum',
  type: Metric['type'],
): string {
  const filters = selector.filters
    .map((f) => ` where ${f.field} ${f.operator} ${f.values.join(', ')}`)
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
            <table className="table" aria-label="Metrics">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Events</th>
                  <th scope="col">Better when</th>
                  <th scope="col">Guardrail</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {list.map((metric) => (
                  <tr key={metric.name}>
                    <th scope="row">
                      {metric.name}
                      {metric.description && <div className="row-description">{metric.description}</div>}
                    </th>
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
                    <td>{formatRelative(metric.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <NewMetricForm onCreated={() => void metrics.reload()} />
    </section>
  );
}

function NewMetricForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<Metric['type']>('conversion');
  const [event, setEvent] = useState('');
  const [valueField, setValueField] = useState('value');
  const [numeratorAggregation, setNumeratorAggregation] = useState<'count' | 'sum'>('count');
  const [denominatorEvent, setDenominatorEvent] = useState('');
  const [denominatorAggregation, setDenominatorAggregation] = useState<'count' | 'sum'>('count');
  const [direction, setDirection] = useState<'increase' | 'decrease'>('increase');
  const [guardrail, setGuardrail] = useState(false);
  const [unitType, setUnitType] = useState('userID');
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(async () =>
    api.post<Metric>('/metrics', {
      name: name.trim(),
      description,
      type,
      numerator: { event, valueField },
      ...(type === 'ratio' && {
        denominator: { event: denominatorEvent, valueField: 'value' },
        numeratorAggregation,
        denominatorAggregation,
      }),
      direction,
      guardrail,
      unitType: unitType.trim() || 'userID',
    }),
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const metric = await create.run();
    if (metric) {
      setCreated(metric.name);
      setName('');
      setDescription('');
      onCreated();
    } else focusFirstInvalid();
  };
  const readsValue =
    type === 'sum' || type === 'mean' || (type === 'ratio' && numeratorAggregation === 'sum');
  return (
    <form className="card" onSubmit={submit} aria-label="New metric">
      <h2>New metric</h2>
      <FieldErrors error={create.error}>
        <div className="form-grid">
          <Field label="Metric name" path="name">
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label="Metric type" path="type">
            {(props) => (
              <select {...props} value={type} onChange={(e) => setType(e.target.value as Metric['type'])}>
                {TYPES.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label={type === 'ratio' ? 'Numerator event' : 'Event'}
            path="numerator.event"
            hint="As logged with logEvent"
          >
            {(props) => (
              <input {...props} required value={event} onChange={(e) => setEvent(e.target.value)} />
            )}
          </Field>
          {type === 'ratio' && (
            <Field label="Numerator counts" path="numeratorAggregation">
              {(props) => (
                <select
                  {...props}
                  value={numeratorAggregation}
                  onChange={(e) => setNumeratorAggregation(e.target.value as 'count' | 'sum')}
                >
                  <option value="count">events</option>
                  <option value="sum">the sum of a value</option>
                </select>
              )}
            </Field>
          )}
          {readsValue && (
            <Field label="Value field" path="numerator.valueField" hint='"value" or "metadata.<key>"'>
              {(props) => (
                <input {...props} value={valueField} onChange={(e) => setValueField(e.target.value)} />
              )}
            </Field>
          )}
          {type === 'ratio' && (
            <>
              <Field label="Denominator event" path="denominator.event">
                {(props) => (
                  <input
                    {...props}
                    required
                    value={denominatorEvent}
                    onChange={(e) => setDenominatorEvent(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Denominator counts" path="denominatorAggregation">
                {(props) => (
                  <select
                    {...props}
                    value={denominatorAggregation}
                    onChange={(e) => setDenominatorAggregation(e.target.value as 'count' | 'sum')}
                  >
                    <option value="count">events</option>
                    <option value="sum">the sum of its value</option>
                  </select>
                )}
              </Field>
            </>
          )}
          <Field label="Better when" path="direction">
            {(props) => (
              <select
                {...props}
                value={direction}
                onChange={(e) => setDirection(e.target.value as 'increase' | 'decrease')}
              >
                <option value="increase">higher (conversion, revenue)</option>
                <option value="decrease">lower (errors, latency)</option>
              </select>
            )}
          </Field>
          <Field label="Unit type" path="unitType">
            {(props) => <input {...props} value={unitType} onChange={(e) => setUnitType(e.target.value)} />}
          </Field>
          <Field label="Description" path="description">
            {(props) => (
              <input {...props} value={description} onChange={(e) => setDescription(e.target.value)} />
            )}
          </Field>
          <label className="inline checkbox-field">
            <input type="checkbox" checked={guardrail} onChange={(e) => setGuardrail(e.target.checked)} />
            Guardrail: watched on every release
          </label>
        </div>
      </FieldErrors>
      <ErrorBanner error={create.error} title="Metric not created" />
      <div className="button-row">
        <button type="submit" className="primary" disabled={create.pending}>
          Create metric
        </button>
        {created && (
          <span className="success" role="status">
            Created {created}.
          </span>
        )}
      </div>
    </form>
  );
}
