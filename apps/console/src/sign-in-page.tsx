import { type FormEvent, useState } from 'react';
import { ApiClient, type ApiError, toApiError } from './api/client.js';
import { Field, FieldErrors } from './components/field-errors.js';
import { ErrorBanner } from './components/status.js';

/**
 * Sign in with a console key (`console-...`): checked against the API before it is kept, so a
 * mistyped or revoked key is refused here with the server's own error.
 */
export function SignInPage({
  onSignIn,
  reason,
}: {
  onSignIn: (key: string) => void;
  reason?: ApiError | undefined;
}) {
  const [key, setKey] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(reason);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    setPending(true);
    setError(undefined);
    try {
      await new ApiClient(trimmed).get('/environments');
      onSignIn(trimmed);
    } catch (caught) {
      const apiError = toApiError(caught);
      // The key travels in a header, so the server names no field; the field is the key.
      if (apiError.status === 401 || apiError.status === 403) apiError.details.field = 'key';
      setError(apiError);
    } finally {
      setPending(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card sign-in-card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span className="logo" aria-hidden="true" /> Switchyard
        </h1>
        <p>Paste a console key to manage gates, releases and experiments.</p>
        <FieldErrors error={error}>
          <Field
            label="Console key"
            path="key"
            hint={
              <>
                Starts with <code>console-</code>. Kept in this browser only, until you sign out.
              </>
            }
          >
            {(props) => (
              <input
                {...props}
                type="password"
                autoComplete="off"
                spellCheck={false}
                required
                value={key}
                onChange={(event) => setKey(event.target.value)}
                placeholder="console-…"
              />
            )}
          </Field>
        </FieldErrors>
        <ErrorBanner error={error} />
        <button type="submit" className="primary" disabled={pending || key.trim() === ''}>
          {pending ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
