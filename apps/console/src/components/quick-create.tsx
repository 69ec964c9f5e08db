import { type FormEvent, useState } from 'react';
import { useApi, useMutation } from '../api/use-api.js';
import { navigate } from '../router.js';
import { Field, FieldErrors } from './field-errors.js';
import { ErrorBanner } from './status.js';

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
  const create = useMutation(async () =>
    api.post<{ name: string }>(`/${collection}`, { name: name.trim(), description, ...extra }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await create.run();
    if (created) navigate(`/${collection}/${encodeURIComponent(created.name)}`);
  };
  return (
    <form className="card inline-form" onSubmit={submit} aria-label={`New ${label}`}>
      <FieldErrors error={create.error}>
        <Field label={`New ${label} name`} path="name">
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
            <input {...props} value={description} onChange={(event) => setDescription(event.target.value)} />
          )}
        </Field>
      </FieldErrors>
      <button type="submit" className="primary" disabled={create.pending}>
        Create {label}
      </button>
      <ErrorBanner error={create.error} title={`The ${label} was not created`} />
    </form>
  );
}
