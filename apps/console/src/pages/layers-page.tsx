import { useState } from 'react';
import type { Experiment, Layer } from '../api/types.js';
import { useApi, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { byName, ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { EmptyState, Loaded } from '../components/status.js';
import { TextField } from '../components/text-field.js';
import { formatRelative } from '../format.js';
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
            <DataTable label="Layers" columns={['Name', 'Parameters', 'Unit type', 'Last change']}>
              {[...list].sort(byName).map((layer) => (
                <tr key={layer.name}>
                  <NameCell name={layer.name} to={layerPath(layer.name)} description={layer.description} />
                  <td>
                    {Object.keys(layer.defaultValue).length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      Object.keys(layer.defaultValue).map((key) => <code key={key}>{key} </code>)
                    )}
                  </td>
                  <td>{layer.idType}</td>
                  <ChangedCell at={layer.updatedAt} />
                </tr>
              ))}
            </DataTable>
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
  const parsed = parseJsonObject(defaultValue);
  return (
    <ApiForm
      label="New layer"
      className="card"
      bar="button-row"
      submitLabel="Create layer"
      pendingLabel="Creating…"
      errorTitle="The layer was not created"
      blocked={parsed.ok ? undefined : 'Fix the JSON before creating.'}
      send={() =>
        api.post<Layer>('/layers', {
          name: name.trim(),
          ...(description.trim() && { description: description.trim() }),
          defaultValue: parsed.ok ? parsed.value : {},
        })
      }
      onDone={(created) => navigate(layerPath(created.name))}
    >
      <div className="form-grid">
        <TextField
          label="New layer name"
          path="name"
          required
          spellCheck={false}
          value={name}
          onChange={setName}
        />
        <TextField
          label="Description"
          path="description"
          className="field-grow"
          value={description}
          onChange={setDescription}
        />
      </div>
      <JsonTextarea
        label="Parameters and their defaults (JSON object)"
        path="defaultValue"
        value={defaultValue}
        onChange={setDefaultValue}
        rows={4}
      />
    </ApiForm>
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
                <DataTable
                  label={`Experiments in ${data.name}`}
                  columns={['Experiment', 'Status', 'Allocation', 'Parameters set']}
                >
                  {members.map((experiment) => (
                    <tr key={experiment.name}>
                      <NameCell
                        name={experiment.name}
                        to={`/experiments/${encodeURIComponent(experiment.name)}`}
                      />
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
                </DataTable>
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
  const parsed = parseJsonObject(defaultValue);
  return (
    <ApiForm
      label="Layer parameters"
      submitLabel="Save parameters"
      blocked={parsed.ok ? undefined : 'Fix the JSON before saving.'}
      send={() =>
        api.patch<Layer>(
          layerPath(layer.name),
          { defaultValue: parsed.ok ? parsed.value : {} },
          layer.version,
        )
      }
      onDone={onSaved}
    >
      <JsonTextarea
        label="Parameters and their defaults (JSON object)"
        path="defaultValue"
        value={defaultValue}
        onChange={setDefaultValue}
      />
    </ApiForm>
  );
}
