import { type FormEvent, useState } from 'react';
import { useAccess } from '../access/access-context.js';
import { ROLES, type Role, type User } from '../api/access-types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { MIN_PASSWORD_LENGTH } from '../sign-in-page.js';

export const ROLE_HELP: Record<Role, string> = {
  viewer: 'Looks at everything, changes nothing',
  editor: 'Changes gates, configs, experiments and the rest of the configuration',
  admin: 'Also manages users, API keys, webhooks and environments',
};

/**
 * Console users (admins only): add people with a role and an initial password, change roles,
 * disable (signs them out at once) and set a new password. The last active admin cannot be
 * demoted or disabled: the server says so.
 */
export function UsersPage() {
  const api = useApi();
  const access = useAccess();
  const me = access.signer.type === 'user' ? access.signer.user.id : null;
  const users = useResource<{ users: User[] }>('/users');
  const [changed, setChanged] = useState<string | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const update = useMutation(async (user: User, patch: { role?: Role; disabled?: boolean }) => {
    const updated = await api.patch<User>(`/users/${encodeURIComponent(user.id)}`, patch);
    await users.reload();
    return updated;
  });
  const [updateTitle, setUpdateTitle] = useState('Not changed');

  const change = async (user: User, patch: { role?: Role; disabled?: boolean }, what: string) => {
    setChanged(null);
    setUpdateTitle(`${what} not changed`);
    const updated = await update.run(user, patch);
    if (updated) setChanged(`${updated.name}: ${what.toLowerCase()} changed.`);
    return updated;
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <p className="lead">
        People who sign in to this console. Viewers look, editors change the configuration, admins also manage
        users, keys, webhooks and environments.
      </p>
      <NewUserForm onCreated={() => void users.reload()} />
      <ErrorBanner error={update.error} title={updateTitle} />
      {changed && (
        <p className="success" role="status">
          {changed}
        </p>
      )}
      <Loaded resource={users} label="users">
        {({ users: list }) =>
          list.length === 0 ? (
            <EmptyState title="No users" />
          ) : (
            <DataTable label="Users" columns={['Name', 'Email', 'Role', 'Status', 'Added', 'Actions']}>
              {list.map((user) => (
                <tr key={user.id}>
                  <th scope="row">
                    {user.name}
                    {user.id === me && <span className="tag">you</span>}
                  </th>
                  <td>{user.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${user.email}`}
                      value={user.role}
                      disabled={update.pending}
                      onChange={(event) => void change(user, { role: event.target.value as Role }, 'Role')}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role} title={ROLE_HELP[role]}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {user.disabledAt === null ? (
                      <span className="badge on">active</span>
                    ) : (
                      <span className="badge off" title={formatDateTime(user.disabledAt)}>
                        disabled {formatRelative(user.disabledAt)}
                      </span>
                    )}
                  </td>
                  <td title={formatDateTime(user.createdAt)}>{formatRelative(user.createdAt)}</td>
                  <td className="button-row">
                    {user.disabledAt === null ? (
                      <button
                        type="button"
                        className="small danger-text"
                        aria-label={`Disable ${user.email}`}
                        onClick={() => {
                          update.clear();
                          setDisabling(user);
                        }}
                      >
                        Disable
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="small"
                        disabled={update.pending}
                        aria-label={`Enable ${user.email}`}
                        onClick={() => void change(user, { disabled: false }, 'Status')}
                      >
                        Enable
                      </button>
                    )}
                    <button
                      type="button"
                      className="small"
                      aria-label={`Reset password of ${user.email}`}
                      onClick={() => setResetting(user)}
                    >
                      Reset password
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
      {disabling && (
        <ConfirmDialog
          title={`Disable ${disabling.email}?`}
          confirmLabel="Disable"
          tone="danger"
          pending={update.pending}
          error={update.error}
          onCancel={() => setDisabling(null)}
          onConfirm={async () => {
            if (await change(disabling, { disabled: true }, 'Status')) setDisabling(null);
          }}
        >
          <p>
            {disabling.name} is signed out everywhere at once and cannot sign in until enabled again. What
            they changed stays, and so does the audit log.
          </p>
        </ConfirmDialog>
      )}
      {resetting && (
        <ResetPasswordDialog
          user={resetting}
          onDone={() => {
            setChanged(`${resetting.name}: password set; they are signed out everywhere.`);
            setResetting(null);
          }}
          onCancel={() => setResetting(null)}
        />
      )}
    </section>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [password, setPassword] = useState('');
  const [added, setAdded] = useState<User | null>(null);
  const create = useMutation(async () =>
    api.post<User>('/users', { email: email.trim(), name: name.trim(), role, password }),
  );
  const tooShort = password.length > 0 && password.length < MIN_PASSWORD_LENGTH;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    const created = await create.run();
    if (created) {
      setAdded(created);
      setEmail('');
      setName('');
      setPassword('');
      onCreated();
    } else focusFirstInvalid();
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Add a user">
      <h2>Add a user</h2>
      <FieldErrors error={create.error}>
        <div className="form-grid">
          <Field label="Email" path="email">
            {(props) => (
              <input
                {...props}
                type="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            )}
          </Field>
          <Field label="Name" path="name">
            {(props) => <input {...props} required value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Role" path="role" hint={ROLE_HELP[role]}>
            {(props) => (
              <select {...props} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Initial password"
            path="password"
            hint={`At least ${MIN_PASSWORD_LENGTH} characters; tell them, and they can change it on their Account page`}
            clientError={tooShort ? `at least ${MIN_PASSWORD_LENGTH} characters` : undefined}
          >
            {(props) => (
              <input
                {...props}
                type="password"
                autoComplete="new-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
        </div>
      </FieldErrors>
      <ErrorBanner error={create.error} title="User not added" />
      <div className="button-row">
        <button type="submit" className="primary" disabled={create.pending || tooShort}>
          {create.pending ? 'Adding…' : 'Add user'}
        </button>
        {added && (
          <span className="success" role="status">
            Added {added.email} as {added.role}.
          </span>
        )}
      </div>
    </form>
  );
}

function ResetPasswordDialog({
  user,
  onDone,
  onCancel,
}: {
  user: User;
  onDone: () => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const [password, setPassword] = useState('');
  const reset = useMutation(async () => {
    await api.post<null>(`/users/${encodeURIComponent(user.id)}/password`, { password });
    return true;
  });
  const tooShort = password.length < MIN_PASSWORD_LENGTH;
  return (
    <ConfirmDialog
      title={`New password for ${user.email}`}
      confirmLabel="Set password"
      pending={reset.pending}
      error={reset.error}
      confirmDisabled={tooShort}
      onCancel={onCancel}
      onConfirm={async () => {
        if (await reset.run()) onDone();
      }}
    >
      <p>They are signed out everywhere and sign in again with this password.</p>
      <FieldErrors error={reset.error}>
        <Field label="New password" path="password" hint={`At least ${MIN_PASSWORD_LENGTH} characters`}>
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
      </FieldErrors>
    </ConfirmDialog>
  );
}
