import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { checkKey, type SignedIn } from './access/sign-in-state.js';
import type { Session } from './api/access-types.js';
import { ApiClient, type ApiError, toApiError } from './api/client.js';
import { Field, FieldErrors, focusFirstInvalid } from './components/field-errors.js';
import { ErrorBanner } from './components/status.js';
import { TextField } from './components/text-field.js';
import { formatDuration } from './format.js';

/** The server's minimum (packages/server/src/security/passwords.ts), checked here to say so early. */
export const MIN_PASSWORD_LENGTH = 10;

type Mode = 'password' | 'setup' | 'key';

/**
 * Signing in: email and password (a session cookie), or on a new server the first admin's
 * setup with the one-time token printed at first start; a console key stays possible for
 * scripts and break-glass access.
 */
export function SignInPage({
  onSignIn,
  setupRequired = false,
  reason,
}: {
  onSignIn: (signedIn: SignedIn) => void;
  /** No user exists yet: the first admin is created with the setup token. */
  setupRequired?: boolean;
  /** Why the last sign-in ended (an expired session, a revoked key). */
  reason?: ApiError | undefined;
}) {
  const [mode, setMode] = useState<Mode>(setupRequired ? 'setup' : 'password');
  const [error, setError] = useState<ApiError | undefined>(reason);
  const switchTo = (next: Mode) => {
    setError(undefined);
    setMode(next);
  };

  return (
    <main className="sign-in">
      <div className="card sign-in-card">
        <h1 id="sign-in-title">
          <span className="logo" aria-hidden="true" /> Switchyard
        </h1>
        {mode === 'setup' && <SetupForm error={error} setError={setError} onSignIn={onSignIn} />}
        {mode === 'password' && <PasswordForm error={error} setError={setError} onSignIn={onSignIn} />}
        {mode === 'key' && <KeyForm error={error} setError={setError} onSignIn={onSignIn} />}
        <div className="sign-in-alternatives">
          {mode === 'key' ? (
            <button
              type="button"
              className="link-button"
              onClick={() => switchTo(setupRequired ? 'setup' : 'password')}
            >
              {setupRequired ? 'Set up the first admin instead' : 'Sign in with email and password instead'}
            </button>
          ) : (
            <button type="button" className="link-button" onClick={() => switchTo('key')}>
              Use a console key instead
            </button>
          )}
        </div>
      </div>
    </main>
  );
}

interface FormProps {
  error: ApiError | undefined;
  setError: (error: ApiError | undefined) => void;
  onSignIn: (signedIn: SignedIn) => void;
}

/** Sends one sign-in request; failures stay on the form (with focus on the field they name). */
function useSignInSubmit({ setError, onSignIn }: FormProps, send: () => Promise<SignedIn>) {
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      const signedIn = await send();
      onSignIn(signedIn);
    } catch (caught) {
      setError(toApiError(caught));
      focusFirstInvalid();
    } finally {
      setPending(false);
    }
  };
  return { submit, pending };
}

function PasswordForm(props: FormProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { submit, pending } = useSignInSubmit(props, async () => ({
    type: 'session',
    session: await new ApiClient().post<Session>('/auth/login', { email: email.trim(), password }),
  }));
  const waitUntil = useRetryAfter(props.error);
  return (
    <form onSubmit={submit} className="sign-in-form" aria-labelledby="sign-in-title">
      <p>Sign in to manage gates, releases and experiments.</p>
      <FieldErrors error={props.error}>
        <TextField
          label="Email"
          path="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={setEmail}
        />
        <TextField
          label="Password"
          path="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={setPassword}
        />
      </FieldErrors>
      <SignInError error={props.error} waitUntil={waitUntil} />
      <button
        type="submit"
        className="primary"
        disabled={pending || waitUntil !== null || email.trim() === '' || password === ''}
      >
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

function SetupForm(props: FormProps) {
  const [token, setToken] = useState('');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const { submit, pending } = useSignInSubmit(props, async () => ({
    type: 'session',
    session: await new ApiClient().post<Session>('/auth/setup', {
      token: token.trim(),
      email: email.trim(),
      name: name.trim(),
      password,
    }),
  }));
  const tooShort = password.length > 0 && password.length < MIN_PASSWORD_LENGTH;
  return (
    <form
      onSubmit={(event) => {
        setTouched(true);
        if (tooShort) {
          event.preventDefault();
          focusFirstInvalid();
          return;
        }
        void submit(event);
      }}
      className="sign-in-form"
      aria-label="Set up the first admin"
    >
      <h2>Set up the first admin</h2>
      <p>
        This server has no users yet. Its log printed a one-time setup token at first start (
        <code>setup-…</code>); with it, create the first admin account. The token works once.
      </p>
      <FieldErrors error={props.error}>
        <Field
          label="Setup token"
          path="token"
          hint="From the server log: “create the first admin with the one-time setup token …”"
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="off"
              spellCheck={false}
              required
              value={token}
              placeholder="setup-…"
              onChange={(event) => setToken(event.target.value)}
            />
          )}
        </Field>
        <TextField
          label="Email"
          path="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={setEmail}
        />
        <TextField label="Name" path="name" autoComplete="name" required value={name} onChange={setName} />
        <Field
          label="Password"
          path="password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters`}
          clientError={touched && tooShort ? `at least ${MIN_PASSWORD_LENGTH} characters` : undefined}
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </Field>
      </FieldErrors>
      <ErrorBanner error={props.error} title="Not set up" />
      <button
        type="submit"
        className="primary"
        disabled={pending || !token.trim() || !email.trim() || !name.trim() || !password}
      >
        {pending ? 'Creating…' : 'Create admin and sign in'}
      </button>
    </form>
  );
}

/**
 * A console key (`console-...`): checked against the API before it is kept, so a mistyped or
 * revoked key is refused here with the server's own error.
 */
function KeyForm(props: FormProps) {
  const [key, setKey] = useState('');
  const { submit, pending } = useSignInSubmit(props, async () => {
    try {
      return await checkKey(key.trim());
    } catch (caught) {
      const apiError = toApiError(caught);
      // The key travels in a header, so the server names no field; the field is the key.
      if (apiError.status === 401 || apiError.status === 403) apiError.details.field = 'key';
      throw apiError;
    }
  });
  return (
    <form onSubmit={submit} className="sign-in-form" aria-label="Sign in with a console key">
      <p>Paste a console key. Read-only keys can look at everything and change nothing.</p>
      <FieldErrors error={props.error}>
        <Field
          label="Console key"
          path="key"
          hint={
            <>
              Starts with <code>console-</code>. Kept in this browser only, until you sign out.
            </>
          }
        >
          {(control) => (
            <input
              {...control}
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
      <ErrorBanner error={props.error} />
      <button type="submit" className="primary" disabled={pending || key.trim() === ''}>
        {pending ? 'Checking…' : 'Sign in'}
      </button>
    </form>
  );
}

/** When a 429 allows the next attempt (ms since the epoch), cleared once that time has come. */
function useRetryAfter(error: ApiError | undefined): number | null {
  const [until, setUntil] = useState<number | null>(null);
  useEffect(() => {
    if (error?.status !== 429) {
      setUntil(null);
      return;
    }
    const seconds = error.retryAfterSeconds ?? 60;
    setUntil(Date.now() + seconds * 1000);
    const timer = setTimeout(() => setUntil(null), seconds * 1000);
    return () => clearTimeout(timer);
  }, [error]);
  return until;
}

function SignInError({ error, waitUntil }: { error: ApiError | undefined; waitUntil: number | null }) {
  if (error?.status === 429) {
    const seconds = error.retryAfterSeconds;
    return (
      <Alert>
        <strong>Too many failed sign-ins.</strong>{' '}
        {waitUntil === null
          ? 'You can try again now.'
          : `Try again in ${seconds === null ? 'a minute' : formatWait(seconds)}.`}{' '}
        <span className="muted">
          (<code className="error-code">{error.code}</code>)
        </span>
      </Alert>
    );
  }
  if (error?.code === 'invalid_credentials') {
    return (
      <Alert>
        <strong>Wrong email or password.</strong>{' '}
        <span className="muted">
          (<code>{error.code}</code>)
        </span>
      </Alert>
    );
  }
  return <ErrorBanner error={error} title="Not signed in" />;
}

function Alert({ children }: { children: ReactNode }) {
  return (
    <div className="error-banner" role="alert">
      <p>{children}</p>
    </div>
  );
}

/** 900 -> "15 min", 42 -> "42 s". */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  return formatDuration(Math.ceil(seconds / 60) * 60_000);
}
