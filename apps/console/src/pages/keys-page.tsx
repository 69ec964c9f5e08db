import { type FormEvent, useState } from 'react';
import type { ApiKey, Environment } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { Link } from '../router.js';

const KIND_HELP: Record<ApiKey['kind'], string> = {
  server: 'Server SDKs: download rules, send events',
  client: 'Browser and mobile SDKs: one user’s values, send events (public)',
  console: 'This console and the authoring API (scripts, the CLI)',
};

const ACCESS_HELP: Record<ApiKey['access'], string> = {
  write: 'Write: acts as an admin (changes everything, keys and users included)',
  read: 'Read-only: acts as a viewer (looks at everything, changes nothing)',
};

/** API keys: secrets are shown once, at creation; revoking takes effect within a second. */
export function KeysPage() {
  const api = useApi();
  const keys = useResource<{ keys: ApiKey[] }>('/keys');
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const [environment, setEnvironment] = useState('production');
  const [kind, setKind] = useState<ApiKey['kind']>('server');
  const [access, setAccess] = useState<ApiKey['access']>('write');
  const [secret, setSecret] = useState<(ApiKey & { secret: string }) | null>(null);
  const [copied, setCopied] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const create = useMutation(async () =>
    api.post<ApiKey & { secret: string }>('/keys', {
      environment,
      kind,
      ...(kind === 'console' && { access }),
    }),
  );
  const revoke = useMutation(async (id: string) => {
    await api.post<null>(`/keys/${encodeURIComponent(id)}/revoke`, {});
    return true;
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await create.run();
    if (created) {
      setSecret(created);
      setCopied(false);
      void keys.reload();
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <form className="card inline-form" onSubmit={submit} aria-label="New API key">
        <FieldErrors error={create.error}>
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
          <Field label="Key kind" path="kind" hint={KIND_HELP[kind]}>
            {(props) => (
              <select {...props} value={kind} onChange={(e) => setKind(e.target.value as ApiKey['kind'])}>
                <option value="server">server</option>
                <option value="client">client</option>
                <option value="console">console</option>
              </select>
            )}
          </Field>
          {kind === 'console' && (
            <Field label="Access" path="access" hint={ACCESS_HELP[access]}>
              {(props) => (
                <select
                  {...props}
                  value={access}
                  onChange={(e) => setAccess(e.target.value as ApiKey['access'])}
                >
                  <option value="write">write</option>
                  <option value="read">read-only</option>
                </select>
              )}
            </Field>
          )}
        </FieldErrors>
        <button type="submit" className="primary" disabled={create.pending}>
          Create key
        </button>
      </form>
      <ErrorBanner error={create.error} title="Key not created" />
      {secret && (
        <div className="secret" role="status">
          <p>
            <strong>
              New {secret.kind === 'console' && secret.access === 'read' ? 'read-only ' : ''}
              {secret.kind} key for {secret.environment}.
            </strong>{' '}
            Copy it now: it is stored hashed and will not be shown again.
          </p>
          <p>
            <code data-testid="new-key-secret">{secret.secret}</code>
          </p>
          <div className="button-row">
            <button
              type="button"
              onClick={async () => {
                await navigator.clipboard?.writeText(secret.secret);
                setCopied(true);
              }}
            >
              {copied ? 'Copied' : 'Copy key'}
            </button>
            <button type="button" onClick={() => setSecret(null)}>
              I have saved it
            </button>
          </div>
        </div>
      )}
      <Loaded resource={keys} label="keys">
        {({ keys: list }) => {
          const shown = list.filter((key) => showRevoked || key.revokedAt === null);
          return (
            <>
              <label className="inline">
                <input
                  type="checkbox"
                  checked={showRevoked}
                  onChange={(e) => setShowRevoked(e.target.checked)}
                />
                Show revoked keys
              </label>
              {shown.length === 0 ? (
                <EmptyState title="No keys" />
              ) : (
                <table className="table" aria-label="API keys">
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Access</th>
                      <th scope="col">Environment</th>
                      <th scope="col">Created</th>
                      <th scope="col">Last used</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((key) => (
                      <tr key={key.id}>
                        <th scope="row">
                          <code>{key.prefix}…</code>
                          <div className="muted small">{key.id}</div>
                        </th>
                        <td>{key.kind}</td>
                        <td>
                          {key.kind === 'console' ? (key.access === 'read' ? 'read-only' : 'write') : '—'}
                        </td>
                        <td>{key.environment}</td>
                        <td>{formatDateTime(key.createdAt)}</td>
                        <td
                          title={
                            key.lastUsedAt === null
                              ? 'Not used since it was made'
                              : formatDateTime(key.lastUsedAt)
                          }
                        >
                          {key.lastUsedAt === null ? 'never' : formatRelative(key.lastUsedAt)}
                        </td>
                        <td>
                          {key.revokedAt ? (
                            <span className="badge off">revoked {formatRelative(key.revokedAt)}</span>
                          ) : (
                            <button
                              type="button"
                              className="small danger-text"
                              onClick={() => {
                                revoke.clear();
                                setRevoking(key);
                              }}
                            >
                              Revoke {key.prefix}
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          );
        }}
      </Loaded>
      <p className="muted">
        Keys belong to an environment: new environments, and who may change each one, are on the{' '}
        <Link to="/environments">Environments</Link> page.
      </p>
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.prefix}…?`}
          confirmLabel="Revoke key"
          tone="danger"
          pending={revoke.pending}
          error={revoke.error}
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            if (await revoke.run(revoking.id)) {
              setRevoking(null);
              void keys.reload();
            }
          }}
        >
          <p>
            Every request with this {revoking.kind} key for {revoking.environment} is refused from now on
            (within a second on other server instances).{' '}
            {revoking.kind === 'console' && 'If it is the key you signed in with, you are signed out.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
