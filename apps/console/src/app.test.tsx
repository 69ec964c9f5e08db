// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role, Session } from './api/access-types.js';
import { App } from './app.js';
import { fakeApi } from './test/fake-api.js';

beforeEach(() => {
  window.localStorage.clear();
  window.history.replaceState(null, '', '/account');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const sessionAs = (role: Role): Session => ({
  user: { id: 'u1', email: 'ada@example.com', name: 'Ada', role, createdAt: 0, disabledAt: null },
  csrfToken: 'csrf-1',
  csrfHeader: 'x-csrf-token',
});

const quiet = {
  'GET /change-requests': { body: { changeRequests: [] } },
  'GET /environments': { body: { environments: [] } },
};

const nav = () => screen.getByRole('navigation', { name: 'Main' });

describe('App sign-in', () => {
  it('stays signed in across a reload (GET /auth/session), shows who and what role, and signs out', async () => {
    const api = fakeApi({
      ...quiet,
      'GET /auth/session': { body: sessionAs('editor') },
      'POST /auth/logout': { status: 204 },
      'GET /auth/status': { body: { setupRequired: false } },
    });
    render(<App />);
    const who = await screen.findByTestId('signed-in-as');
    expect(who.textContent).toContain('Signed in as Ada');
    expect(who.textContent).toContain('editor');
    await screen.findByRole('heading', { name: 'Your account' });
    // Editors see no admin pages in the navigation.
    expect(within(nav()).queryByRole('link', { name: 'Users' })).toBeNull();
    expect(within(nav()).queryByRole('link', { name: 'API keys' })).toBeNull();
    expect(within(nav()).getByRole('link', { name: /^Change requests/ })).toBeTruthy();
    expect(screen.queryByTestId('read-only-note')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await screen.findByRole('button', { name: 'Sign in' });
    expect(api.writes()).toEqual([
      expect.objectContaining({
        path: '/auth/logout',
        headers: { 'x-csrf-token': 'csrf-1', 'content-type': 'application/json' },
      }),
    ]);
    expect(screen.getByLabelText('Email')).toBeTruthy();
  });

  it('opens the first-admin setup when the server has no users', async () => {
    fakeApi({
      'GET /auth/session': {
        status: 401,
        body: { error: { code: 'unauthorized', message: 'not signed in' } },
      },
      'GET /auth/status': { body: { setupRequired: true } },
    });
    render(<App />);
    await screen.findByRole('form', { name: 'Set up the first admin' });
    // A plain "not signed in" is no error to show.
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('tells viewers they can only look, and hides admin pages', async () => {
    fakeApi({ ...quiet, 'GET /auth/session': { body: sessionAs('viewer') } });
    render(<App />);
    const note = await screen.findByTestId('read-only-note');
    expect(note.textContent).toContain('you can look at everything but not change it');
    expect(within(nav()).queryByRole('link', { name: 'Users' })).toBeNull();
    expect(within(nav()).queryByRole('link', { name: 'Webhooks' })).toBeNull();
  });

  it('shows admins the admin pages and how many change requests wait', async () => {
    fakeApi({
      'GET /auth/session': { body: sessionAs('admin') },
      'GET /change-requests': { body: { changeRequests: [{ id: 1 }, { id: 2 }] } },
    });
    render(<App />);
    await screen.findByTestId('signed-in-as');
    expect(within(nav()).getByRole('link', { name: 'Users' })).toBeTruthy();
    expect(within(nav()).getByRole('link', { name: 'API keys' })).toBeTruthy();
    await waitFor(() =>
      expect(within(nav()).getByRole('link', { name: /^Change requests/ }).textContent).toBe(
        'Change requests2 pending',
      ),
    );
  });

  it('goes back to sign-in, saying why, when the session ends', async () => {
    let expired = false;
    const gone = {
      status: 401,
      body: { error: { code: 'session_expired', message: 'your session has ended' } },
    };
    fakeApi({
      'GET /auth/session': () => (expired ? gone : { body: sessionAs('admin') }),
      'GET /auth/status': { body: { setupRequired: false } },
      'GET /change-requests': () => (expired ? gone : { body: { changeRequests: [] } }),
      'GET /environments': () => (expired ? gone : { body: { environments: [] } }),
    });
    window.history.replaceState(null, '', '/environments');
    render(<App />);
    await screen.findByRole('heading', { name: 'Environments' });
    expired = true;
    fireEvent.click(within(nav()).getByRole('link', { name: /^Change requests/ }));
    expect((await screen.findByRole('alert')).textContent).toContain('your session has ended');
    expect(screen.getByLabelText('Email')).toBeTruthy();
  });

  it('keeps a stored console key, as a viewer when it is read-only', async () => {
    window.localStorage.setItem('switchyard.consoleKey', 'console-readonly-key');
    const api = fakeApi({
      ...quiet,
      'GET /keys': {
        status: 403,
        body: { error: { code: 'insufficient_role', message: 'read-only', details: { needed: 'admin' } } },
      },
    });
    render(<App />);
    const who = await screen.findByTestId('signed-in-as');
    expect(who.textContent).toContain('console-read…');
    expect(who.textContent).toContain('read-only');
    expect(who.textContent).toContain('viewer');
    expect(screen.getByTestId('read-only-note').textContent).toContain('This console key is read-only');
    expect(api.calls.every((call) => call.headers.authorization === 'Bearer console-readonly-key')).toBe(
      true,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await screen.findByRole('button', { name: 'Sign in' });
    expect(window.localStorage.getItem('switchyard.consoleKey')).toBeNull();
    // A key signs out without the server: nothing to end there.
    expect(api.writes()).toEqual([]);
  });
});
