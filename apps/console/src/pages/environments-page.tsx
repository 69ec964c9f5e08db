import { useState } from 'react';
import { usePermission } from '../access/access-context.js';
import type { EnvironmentPolicy } from '../api/access-types.js';
import type { Environment } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { DataTable } from '../components/data-table.js';
import { Field, FieldErrors } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime } from '../format.js';

/** No policy: any editor changes it directly. */
const UNPROTECTED: EnvironmentPolicy = { minRole: 'editor', requireApproval: false };

function describePolicy(policy: EnvironmentPolicy | null | undefined): string {
  const { minRole, requireApproval } = policy ?? UNPROTECTED;
  const who = minRole === 'admin' ? 'Admins only' : 'Editors and admins';
  return requireApproval ? `${who}, with a second person’s approval` : `${who}, directly`;
}

/**
 * Environments and who may change what each one's SDKs are served: the least role, and whether
 * a second person must approve (changes then go through change requests). Admins edit; everyone
 * sees the rules they work under.
 */
export function EnvironmentsPage() {
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const admin = usePermission('admin');
  return (
    <section aria-labelledby="environments-title">
      <h1 id="environments-title">Environments</h1>
      <p className="lead">
        Each environment has its own keys and compiled rules. A change is to an environment when what its SDKs
        are served changes (a rule limited to development does not change production). Turning things off
        (kill switch, rollback, pausing a release) never waits for approval.
      </p>
      {!admin.allowed && <p className="muted">{admin.reason} Policies are shown read-only.</p>}
      <Loaded resource={environments} label="environments">
        {({ environments: list }) =>
          list.length === 0 ? (
            <EmptyState title="No environments" />
          ) : (
            <DataTable label="Environments" columns={['Environment', 'Created', 'Who may change it', '']}>
              {list.map((environment) => (
                <PolicyRow
                  key={environment.name}
                  environment={environment}
                  editable={admin.allowed}
                  onSaved={() => void environments.reload()}
                />
              ))}
            </DataTable>
          )
        }
      </Loaded>
      {admin.allowed && <NewEnvironmentForm onCreated={() => void environments.reload()} />}
    </section>
  );
}

function PolicyRow({
  environment,
  editable,
  onSaved,
}: {
  environment: Environment;
  editable: boolean;
  onSaved: () => void;
}) {
  const api = useApi();
  const current = environment.policy ?? UNPROTECTED;
  const [draft, setDraft] = useState<EnvironmentPolicy>(current);
  const [saved, setSaved] = useState(false);
  const save = useMutation(async () =>
    api.request<EnvironmentPolicy>(`/environments/${encodeURIComponent(environment.name)}/policy`, {
      method: 'PUT',
      body: draft,
    }),
  );
  const dirty = draft.minRole !== current.minRole || draft.requireApproval !== current.requireApproval;
  const name = environment.name;

  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{formatDateTime(environment.createdAt)}</td>
      <td>
        {editable ? (
          <div className="inline-form policy-form">
            <label className="inline-field">
              Least role
              <select
                aria-label={`Least role to change ${name}`}
                value={draft.minRole}
                onChange={(event) => {
                  setSaved(false);
                  setDraft({ ...draft, minRole: event.target.value as EnvironmentPolicy['minRole'] });
                }}
              >
                <option value="editor">editor</option>
                <option value="admin">admin</option>
              </select>
            </label>
            <label className="inline">
              <input
                type="checkbox"
                checked={draft.requireApproval}
                onChange={(event) => {
                  setSaved(false);
                  setDraft({ ...draft, requireApproval: event.target.checked });
                }}
              />
              Changes to {name} need approval
            </label>
          </div>
        ) : (
          <span data-testid={`policy-${name}`}>{describePolicy(environment.policy)}</span>
        )}
        <ErrorBanner error={save.error} title="Policy not saved" />
      </td>
      <td>
        {editable && (
          <button
            type="button"
            className="small"
            disabled={!dirty || save.pending}
            aria-label={`Save policy for ${name}`}
            onClick={async () => {
              if (await save.run()) {
                setSaved(true);
                onSaved();
              }
            }}
          >
            Save
          </button>
        )}
        {saved && !dirty && (
          <span className="success small" role="status">
            Saved
          </span>
        )}
      </td>
    </tr>
  );
}

function NewEnvironmentForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const create = useMutation(async () => api.post<Environment>('/environments', { name: name.trim() }));
  return (
    <form
      className="card inline-form"
      aria-label="New environment"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await create.run()) {
          setName('');
          onCreated();
        }
      }}
    >
      <FieldErrors error={create.error}>
        <Field label="New environment" path="name" hint="Then create its keys on the API keys page">
          {(props) => <input {...props} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
      </FieldErrors>
      <button type="submit" disabled={create.pending}>
        Create environment
      </button>
      <ErrorBanner error={create.error} title="Environment not created" />
    </form>
  );
}
