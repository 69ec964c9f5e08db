import { type FormEvent, useState } from 'react';
import type { Experiment, Layer } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { Link, navigate } from '../router.js';

const layerPath = (name: string) => `/layers/${encodeURIComponent(name)}`;

/** Layers: parameters shared by mutually exclusive experiments (a user is in at most one). */
export function LayersPage() {
  const layers = useResource<{ layers: Layer[] }>('/layers');
  return (
    <section aria-labelledby="layers-title">
      <h1 id="layers-title">Layers</h1>
      <p className="muted">
        A layer holds parameters with default values; the experiments in it are mutually exclusive and each
        sets some of its parameters for the users it owns.
      </p>
      <NewLayerForm />
      <Loaded resource={layers} label="layers">
        {({ layers: list }) =>
          list.length === 0 ? (
            <EmptyState title="No layers yet">
              <p>Create one above, then choose it when creating an experiment.</p>
            </EmptyState>
          ) : (
            <table className="table" aria-label="Layers">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Parameters</th>
                  <th scope="col">Unit type</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) => a.name.localeCompare(b.name))
                  .map((layer) => (
                    <tr key={layer.name}>
                      <th scope="row">
                        <Link to={layerPath(layer.name)}>{layer.name}</Link>
                        {layer.description && <div className="row-description">{layer.description}</div>}
                      </th>
                      <td>
                        {Object.keys(layer.defaultValue).length === 0 ? (
                          <span className="muted">none</span>
                        ) : (
                          Object.keys(layer.defaultValue).map((key) => <code key={key}>{key} </code>)
                        )}
                      </td>
                      <td>{layer.idType}</td>
                      <td title={formatDateTime(layer.updatedAt)}>{formatRelative(layer.updatedAt)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}

function NewLayerForm() {
  const api = useApi();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [defaultValue, setDefaultValue] = useState('{}');
  const invalid = !parseJsonObject(defaultValue).ok;
  const create = useMutation(async () => {
    const parsed = parseJsonObject(defaultValue);
    if (!parsed.ok) throw new Error(`Parameters ${parsed.error}`);
    return api.post<Layer>('/layers', {
      name: name.trim(),
      ...(description.trim() && { description: description.trim() }),
      defaultValue: parsed.value,
    });
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid) {
      focusFirstInvalid();
      return;
    }
    const created = await create.run();
    if (created) navigate(layerPath(created.name));
    else focusFirstInvalid();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="New layer">
      <FieldErrors error={create.error}>
        <div className="form-grid">
          <Field label="New layer name" path="name">
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
            )}
          </Field>
          <Field label="Description" path="description" className="field-grow">
            {(props) => (
              <input
                {...props}
                value={description}
                onChange={(event) => setDescription(event.target.value)}
              />
            )}
          </Field>
        </div>
        <JsonTextarea
          label="Parameters and their defaults (JSON object)"
          path="defaultValue"
          value={defaultValue}
          onChange={setDefaultValue}
          rows={4}
        />
      </FieldErrors>
      <ErrorBanner error={create.error} title="The layer was not created" />
      <div className="button-row">
        <button type="submit" className="primary" disabled={create.pending || invalid}>
          Create layer
        </button>
        {invalid && <span className="field-error">Fix the JSON before creating.</span>}
      </div>
    </form>
  );
}

export function LayerPage({ name }: { name: string }) {
  const layer = useResource<Layer>(layerPath(name));
  const experiments = useResource<{ experiments: Experiment[] }>('/experiments');
  return (
    <Loaded resource={layer} label={`layer ${name}`}>
      {(data) => (
        <article aria-labelledby="layer-title">
          <p className="breadcrumbs">
            <Link to="/layers">Layers</Link> /
          </p>
          <h1 id="layer-title">{data.name}</h1>
          {data.description && <p>{data.description}</p>}
          <p className="muted small">
            Unit type {data.idType} · version {data.version} · changed {formatRelative(data.updatedAt)}
          </p>
          <LayerEditor key={data.version} layer={data} onSaved={layer.setData} />
          <h2>Experiments in this layer</h2>
          <Loaded resource={experiments} label="experiments">
            {({ experiments: list }) => {
              const members = list.filter((experiment) => experiment.layer === data.name);
              return members.length === 0 ? (
                <EmptyState title="No experiments in this layer">
                  <p>
                    Choose this layer when <Link to="/experiments/new">creating an experiment</Link>.
                  </p>
                </EmptyState>
              ) : (
                <table className="table" aria-label={`Experiments in ${data.name}`}>
                  <thead>
                    <tr>
                      <th scope="col">Experiment</th>
                      <th scope="col">Status</th>
                      <th scope="col">Allocation</th>
                      <th scope="col">Parameters set</th>
                    </tr>
                  </thead>
                  <tbody>
                    {members.map((experiment) => (
                      <tr key={experiment.name}>
                        <th scope="row">
                          <Link to={`/experiments/${encodeURIComponent(experiment.name)}`}>
                            {experiment.name}
                          </Link>
                        </th>
                        <td>
                          <span className="badge">{experiment.status}</span>
                        </td>
                        <td>{experiment.allocationPercent}%</td>
                        <td>
                          {[...new Set(experiment.groups.flatMap((g) => Object.keys(g.parameters)))].map(
                            (key) => (
                              <code key={key}>{key} </code>
                            ),
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              );
            }}
          </Loaded>
        </article>
      )}
    </Loaded>
  );
}

function LayerEditor({ layer, onSaved }: { layer: Layer; onSaved: (layer: Layer) => void }) {
  const api = useApi();
  const [defaultValue, setDefaultValue] = useState(() => JSON.stringify(layer.defaultValue, null, 2));
  const invalid = !parseJsonObject(defaultValue).ok;
  const save = useMutation(async () => {
    const parsed = parseJsonObject(defaultValue);
    if (!parsed.ok) throw new Error(`Parameters ${parsed.error}`);
    return api.patch<Layer>(layerPath(layer.name), { defaultValue: parsed.value }, layer.version);
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid) {
      focusFirstInvalid();
      return;
    }
    const updated = await save.run();
    if (updated) onSaved(updated);
    else focusFirstInvalid();
  };
  return (
    <form onSubmit={submit} aria-label="Layer parameters">
      <FieldErrors error={save.error}>
        <JsonTextarea
          label="Parameters and their defaults (JSON object)"
          path="defaultValue"
          value={defaultValue}
          onChange={setDefaultValue}
        />
      </FieldErrors>
      <ErrorBanner error={save.error} title="Not saved" />
      <div className="save-bar">
        <button type="submit" className="primary" disabled={save.pending || invalid}>
          {save.pending ? 'Saving…' : 'Save parameters'}
        </button>
        {invalid && <span className="field-error">Fix the JSON before saving.</span>}
      </div>
    </form>
  );
}
