import { useState } from 'react';
import { useApi } from '../api/use-api.js';
import { navigate } from '../router.js';
import { ApiForm } from './api-form.js';
import { TextField } from './text-field.js';

/** Create an object by name (the rest is edited on its page), then open it. */
export function QuickCreate({
  collection,
  label,
  extra,
}: {
  /** API path segment and console path: configs, segments. */
  collection: string;
  /** "config", "segment". */
  label: string;
  extra?: Record<string, unknown>;
}) {
  const api = useApi();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <ApiForm
      label={`New ${label}`}
      className="card inline-form"
      bar="button-row"
      submitLabel={`Create ${label}`}
      pendingLabel="Creating…"
      errorTitle={`The ${label} was not created`}
      send={() => api.post<{ name: string }>(`/${collection}`, { name: name.trim(), description, ...extra })}
      onDone={(created) => navigate(`/${collection}/${encodeURIComponent(created.name)}`)}
    >
      <TextField
        label={`New ${label} name`}
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
    </ApiForm>
  );
}
