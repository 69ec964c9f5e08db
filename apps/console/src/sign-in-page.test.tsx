// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Session } from './api/access-types.js';
import { ApiError } from './api/client.js';
import { SignInPage } from './sign-in-page.js';
import { fakeApi } from './test/fake-api.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const session: Session = {
  user: { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'admin', createdAt: 0, disabledAt: null },
  csrfToken: 'csrf-1',
  csrfHeader: 'x-csrf-token',
};

const type = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('SignInPage: email and password', () => {
  it('signs in with a session, which keeps its CSRF token', async () => {
    const api = fakeApi({ 'POST /auth/login': { body: session } });
    const onSignIn = vi.fn();
    render(<SignInPage onSignIn={onSignIn} />);
    type('Email', ' ada@example.com ');
    type('Password', 'correct horse battery');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(onSignIn).toHaveBeenCalledWith({ type: 'session', session }));
    expect(api.writes()).toEqual([
      expect.objectContaining({
        path: '/auth/login',
        body: { email: 'ada@example.com', password: 'correct horse battery' },
      }),
    ]);
    // Signing in sends no CSRF token or key: there is nothing to protect yet.
    expect(api.writes()[0]?.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('says when the email or password is wrong', async () => {
    fakeApi({
      'POST /auth/login': {
        status: 401,
        body: { error: { code: 'invalid_credentials', message: 'wrong email or password' } },
      },
    });
    const onSignIn = vi.fn();
    render(<SignInPage onSignIn={onSignIn} />);
    type('Email', 'ada@example.com');
    type('Password', 'wrong password');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Wrong email or password');
    expect(onSignIn).not.toHaveBeenCalled();
  });

  it('after too many attempts, says how long to wait and holds the button', async () => {
    fakeApi({
      'POST /auth/login': {
        status: 429,
        body: {
          error: {
            code: 'too_many_attempts',
            message: 'too many failed sign-ins; wait before trying again',
            details: { retryAfterSeconds: 840 },
          },
        },
      },
    });
    render(<SignInPage onSignIn={() => {}} />);
    type('Email', 'ada@example.com');
    type('Password', 'guess guess guess');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Too many failed sign-ins');
    expect(alert.textContent).toContain('Try again in 14 min');
    expect((screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows why the last session ended', () => {
    render(
      <SignInPage
        onSignIn={() => {}}
        reason={
          new ApiError(401, { code: 'session_expired', message: 'your session has ended; sign in again' })
        }
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('your session has ended');
  });
});

describe('SignInPage: first-admin setup', () => {
  it('creates the first admin with the setup token, and is signed in', async () => {
    const api = fakeApi({ 'POST /auth/setup': { status: 201, body: session } });
    const onSignIn = vi.fn();
    render(<SignInPage setupRequired onSignIn={onSignIn} />);
    expect(screen.getByRole('form', { name: 'Set up the first admin' })).toBeTruthy();
    type('Setup token', ' setup-abc ');
    type('Email', 'ada@example.com');
    type('Name', 'Ada');
    type('Password', 'correct horse battery');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    await waitFor(() => expect(onSignIn).toHaveBeenCalledWith({ type: 'session', session }));
    expect(api.writes()[0]?.body).toEqual({
      token: 'setup-abc',
      email: 'ada@example.com',
      name: 'Ada',
      password: 'correct horse battery',
    });
  });

  it('puts a wrong token at the token field', async () => {
    fakeApi({
      'POST /auth/setup': {
        status: 401,
        body: {
          error: {
            code: 'invalid_setup_token',
            message: 'the setup token is wrong or was already used',
            details: { field: 'body.token' },
          },
        },
      },
    });
    render(<SignInPage setupRequired onSignIn={() => {}} />);
    type('Setup token', 'setup-wrong');
    type('Email', 'ada@example.com');
    type('Name', 'Ada');
    type('Password', 'correct horse battery');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Setup token').getAttribute('aria-invalid')).toBe('true'),
    );
    expect(document.querySelector('[data-field="token"]')?.textContent).toContain(
      'wrong or was already used',
    );
  });

  it('checks the password length before sending', () => {
    const api = fakeApi({});
    render(<SignInPage setupRequired onSignIn={() => {}} />);
    type('Setup token', 'setup-abc');
    type('Email', 'ada@example.com');
    type('Name', 'Ada');
    type('Password', 'short');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');
    expect(api.calls).toHaveLength(0);
  });
});

describe('SignInPage: a console key instead', () => {
  it('signs in with a write key (it may list keys)', async () => {
    const api = fakeApi({ 'GET /keys': { body: { keys: [] } } });
    const onSignIn = vi.fn();
    render(<SignInPage onSignIn={onSignIn} />);
    fireEvent.click(screen.getByRole('button', { name: 'Use a console key instead' }));
    type('Console key', ' console-write ');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(onSignIn).toHaveBeenCalledWith({ type: 'key', key: 'console-write', access: 'write' }),
    );
    expect(api.calls[0]?.headers).toEqual({ authorization: 'Bearer console-write' });
  });

  it('takes a read-only key as a viewer', async () => {
    fakeApi({
      'GET /keys': {
        status: 403,
        body: {
          error: {
            code: 'insufficient_role',
            message: 'a read-only console key cannot change anything',
            details: { needed: 'admin' },
          },
        },
      },
    });
    const onSignIn = vi.fn();
    render(<SignInPage onSignIn={onSignIn} />);
    fireEvent.click(screen.getByRole('button', { name: 'Use a console key instead' }));
    type('Console key', 'console-read');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(onSignIn).toHaveBeenCalledWith({ type: 'key', key: 'console-read', access: 'read' }),
    );
  });

  it('refuses an unknown key at the key field', async () => {
    fakeApi({
      'GET /keys': {
        status: 401,
        body: { error: { code: 'unauthorized', message: 'unknown or revoked API key' } },
      },
    });
    const onSignIn = vi.fn();
    render(<SignInPage setupRequired onSignIn={onSignIn} />);
    fireEvent.click(screen.getByRole('button', { name: 'Use a console key instead' }));
    type('Console key', 'console-nope');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Console key').getAttribute('aria-invalid')).toBe('true'),
    );
    expect(onSignIn).not.toHaveBeenCalled();
    // Back to the setup form.
    fireEvent.click(screen.getByRole('button', { name: 'Set up the first admin instead' }));
    expect(screen.getByLabelText('Setup token')).toBeTruthy();
  });
});
