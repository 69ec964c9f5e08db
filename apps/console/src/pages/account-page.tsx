import { type FormEvent, useContext, useState } from 'react';
import { SessionUpdateContext, useAccess } from '../access/access-context.js';
import type { Session } from '../api/access-types.js';
import { useApi, useMutation } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { ErrorBanner } from '../components/status.js';
import { formatDateTime } from '../format.js';
import { MIN_PASSWORD_LENGTH } from '../sign-in-page.js';
import { ROLE_HELP } from './users-page.js';

/** Who you are signed in as, and changing your own password. */
export function AccountPage() {
  const { signer, role } = useAccess();
  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      {signer.type === 'user' ? (
        <>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{signer.user.name}</dd>
            <dt>Email</dt>
            <dd>{signer.user.email}</dd>
            <dt>Role</dt>
            <dd>
              {role}: {ROLE_HELP[role].toLowerCase()}
            </dd>
            <dt>Since</dt>
            <dd>{formatDateTime(signer.user.createdAt)}</dd>
          </dl>
          <ChangePasswordForm />
        </>
      ) : (
        <p>
          You are signed in with the console key <code>{signer.prefix}…</code> (
          {signer.access === 'read' ? 'read-only: a viewer' : 'write: an admin'}). Keys have no password;
          admins revoke them on the API keys page.
        </p>
      )}
    </section>
  );
}

function ChangePasswordForm() {
  const api = useApi();
  const onSession = useContext(SessionUpdateContext);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const change = useMutation(async () => api.post<Session>('/auth/password', { current, next }));
  const tooShort = next.length > 0 && next.length < MIN_PASSWORD_LENGTH;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    const session = await change.run();
    if (!session) {
      focusFirstInvalid();
      return;
    }
    setCurrent('');
    setNext('');
    setDone(true);
    // A new session (and CSRF token) replaces this one; other sessions were ended.
    onSession?.(session);
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Change your password">
      <h2>Change your password</h2>
      <FieldErrors error={change.error}>
        <Field label="Current password" path="current">
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="New password"
          path="next"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. Signs you out everywhere else.`}
          clientError={tooShort ? `at least ${MIN_PASSWORD_LENGTH} characters` : undefined}
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="new-password"
              required
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          )}
        </Field>
      </FieldErrors>
      <ErrorBanner error={change.error} title="Password not changed" />
      <div className="button-row">
        <button type="submit" className="primary" disabled={change.pending || tooShort}>
          Change password
        </button>
        {done && (
          <span className="success" role="status">
            Password changed.
          </span>
        )}
      </div>
    </form>
  );
}
