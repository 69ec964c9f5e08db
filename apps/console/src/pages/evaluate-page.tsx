import { type FormEvent, useMemo, useState } from 'react';
import type { Environment, ExplainedResult, UserEvaluation } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, FieldMessage, focusFirstInvalid } from '../components/field-errors.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { ErrorBanner } from '../components/status.js';

const USER_FIELDS = [
  { key: 'userID', label: 'User ID' },
  { key: 'email', label: 'Email' },
  { key: 'country', label: 'Country' },
  { key: 'ip', label: 'IP address' },
  { key: 'userAgent', label: 'User agent' },
  { key: 'appVersion', label: 'App version' },
  { key: 'locale', label: 'Locale' },
] as const;

type UserFieldKey = (typeof USER_FIELDS)[number]['key'];

interface CustomRow {
  key: number;
  name: string;
  value: string;
}

/** A custom attribute's text as JSON: numbers and true/false as such, the rest as text. */
function customValue(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

/** The user the form describes, as SDKs send it. */
export function userFromFields(fields: Partial<Record<UserFieldKey, string>>, custom: readonly CustomRow[]) {
  const user: Record<string, unknown> = {};
  for (const { key } of USER_FIELDS) {
    const value = fields[key]?.trim();
    if (value) user[key] = value;
  }
  const customs = custom.filter((row) => row.name.trim());
  if (customs.length)
    user.custom = Object.fromEntries(customs.map((row) => [row.name.trim(), customValue(row.value)]));
  return user;
}

let rowKey = 0;

/**
 * Evaluate as user: build a user (or paste its JSON) and see what every gate, segment, config,
 * experiment and layer gives it, and which rule decided, computed by the server with the same
 * core and compiled specs the SDKs use.
 */
export function EvaluatePage() {
  const api = useApi();
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const [environment, setEnvironment] = useState('production');
  const [mode, setMode] = useState<'fields' | 'json'>('fields');
  const [fields, setFields] = useState<Partial<Record<UserFieldKey, string>>>({});
  const [custom, setCustom] = useState<CustomRow[]>([]);
  const [json, setJson] = useState('{\n  "userID": "u-42",\n  "email": "ana@company.com"\n}');
  const [filter, setFilter] = useState('');
  const [result, setResult] = useState<UserEvaluation | undefined>();
  const evaluate = useMutation(async () => {
    const parsed = parseJsonObject(json);
    const user = mode === 'json' ? (parsed.ok ? parsed.value : {}) : userFromFields(fields, custom);
    return api.post<UserEvaluation>('/evaluate', { environment, user });
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const evaluated = await evaluate.run();
    if (evaluated) setResult(evaluated);
    else focusFirstInvalid();
  };

  return (
    <section aria-labelledby="evaluate-title">
      <h1 id="evaluate-title">Evaluate as user</h1>
      <p className="muted">
        What one user gets from everything, and which rule decided: the same evaluator the SDKs run.
      </p>
      <form className="card" onSubmit={submit} aria-label="User to evaluate">
        <FieldErrors error={evaluate.error}>
          <div className="inline-form">
            <Field label="Environment" path="environment">
              {(props) => (
                <select {...props} value={environment} onChange={(e) => setEnvironment(e.target.value)}>
                  {(environments.data?.environments ?? [{ name: environment, createdAt: 0 }]).map((env) => (
                    <option key={env.name} value={env.name}>
                      {env.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <fieldset className="segmented">
              <legend className="visually-hidden">Describe the user with</legend>
              <label className="inline">
                <input
                  type="radio"
                  name="user-mode"
                  checked={mode === 'fields'}
                  onChange={() => setMode('fields')}
                />
                Fields
              </label>
              <label className="inline">
                <input
                  type="radio"
                  name="user-mode"
                  checked={mode === 'json'}
                  onChange={() => setMode('json')}
                />
                JSON
              </label>
            </fieldset>
          </div>
          {mode === 'json' ? (
            <JsonTextarea label="User (JSON)" path="user" value={json} onChange={setJson} rows={8} />
          ) : (
            <>
              <div className="form-grid">
                {USER_FIELDS.map(({ key, label }) => (
                  <Field key={key} label={label} path={`user.${key}`}>
                    {(props) => (
                      <input
                        {...props}
                        value={fields[key] ?? ''}
                        spellCheck={false}
                        onChange={(e) => setFields({ ...fields, [key]: e.target.value })}
                      />
                    )}
                  </Field>
                ))}
              </div>
              <fieldset>
                <legend>Custom attributes</legend>
                {custom.map((row, index) => (
                  <div key={row.key} className="inline-form">
                    <Field label={`Attribute ${index + 1} name`} path={`user.custom.${row.name}`}>
                      {(props) => (
                        <input
                          {...props}
                          value={row.name}
                          onChange={(e) =>
                            setCustom(
                              custom.map((r) => (r.key === row.key ? { ...r, name: e.target.value } : r)),
                            )
                          }
                        />
                      )}
                    </Field>
                    <Field label={`Attribute ${index + 1} value`}>
                      {(props) => (
                        <input
                          {...props}
                          value={row.value}
                          onChange={(e) =>
                            setCustom(
                              custom.map((r) => (r.key === row.key ? { ...r, value: e.target.value } : r)),
                            )
                          }
                        />
                      )}
                    </Field>
                    <button
                      type="button"
                      className="icon-button"
                      onClick={() => setCustom(custom.filter((r) => r.key !== row.key))}
                    >
                      Remove attribute {index + 1}
                    </button>
                  </div>
                ))}
                <button
                  type="button"
                  onClick={() => {
                    rowKey += 1;
                    setCustom([...custom, { key: rowKey, name: '', value: '' }]);
                  }}
                >
                  Add custom attribute
                </button>
                <FieldMessage path="user.custom" />
              </fieldset>
              <FieldMessage path="user" />
            </>
          )}
        </FieldErrors>
        <ErrorBanner error={evaluate.error} title="Not evaluated" />
        <div className="button-row">
          <button
            type="submit"
            className="primary"
            disabled={evaluate.pending || (mode === 'json' && !parseJsonObject(json).ok)}
          >
            {evaluate.pending ? 'Evaluating…' : 'Evaluate'}
          </button>
        </div>
      </form>
      {result && (
        <section aria-labelledby="results-title">
          <header className="section-header">
            <h2 id="results-title">Results at revision {result.revision}</h2>
            <label className="inline-field">
              Filter results
              <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
            </label>
          </header>
          <ResultTable title="Gates" results={result.gates} filter={filter} />
          <ResultTable title="Segments" results={result.segments} filter={filter} />
          <ResultTable title="Dynamic configs" results={result.configs} filter={filter} json />
          <ResultTable title="Experiments" results={result.experiments} filter={filter} json />
          <ResultTable title="Layers" results={result.layers} filter={filter} json />
        </section>
      )}
    </section>
  );
}

function ResultTable({
  title,
  results,
  filter,
  json = false,
}: {
  title: string;
  results: ExplainedResult[];
  filter: string;
  json?: boolean;
}) {
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return q ? results.filter((r) => r.name.toLowerCase().includes(q)) : results;
  }, [results, filter]);
  return (
    <section className="card" aria-label={title}>
      <h3>
        {title} <span className="muted small">({shown.length})</span>
      </h3>
      {shown.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="table compact" aria-label={`${title} results`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">{json ? 'Value' : 'Passes'}</th>
              <th scope="col">Decided by</th>
              {json && <th scope="col">Group</th>}
              <th scope="col">Depends on</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((result) => (
              <tr key={result.name}>
                <th scope="row">{result.name}</th>
                <td className={json ? 'json-cell' : `value-${result.value}`}>
                  {json ? JSON.stringify(result.json ?? {}, null, 1) : String(result.value)}
                </td>
                <td>
                  {result.ruleName}
                  {result.reason !== 'Evaluated' && <span className="badge warn">{result.reason}</span>}
                </td>
                {json && <td>{result.groupName ?? '—'}</td>}
                <td className="small">
                  {result.dependsOn.map((d) => `${d.gate}: ${d.value}`).join(', ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
