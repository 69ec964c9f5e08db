// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionUpdateContext } from '../access/access-context.js';
import type { Session } from '../api/access-types.js';
import { READ_ONLY_KEY, signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { AccountPage } from './account-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const fill = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('AccountPage', () => {
  it('changes the password and takes the new session (a new CSRF token)', async () => {
    const renewed: Session = {
      user: {
        id: 'u1',
        email: 'ada@example.com',
        name: 'Ada',
        role: 'editor',
        createdAt: 0,
        disabledAt: null,
      },
      csrfToken: 'csrf-new',
      csrfHeader: 'x-csrf-token',
    };
    const api = fakeApi({ 'POST /auth/password': { body: renewed } });
    const onSession = vi.fn();
    renderWithApi(
      <SessionUpdateContext.Provider value={onSession}>
        <AccountPage />
      </SessionUpdateContext.Provider>,
      signedInAs('editor'),
    );
    expect(screen.getByText('ada@example.com')).toBeTruthy();
    fill('Current password', 'correct horse battery');
    fill('New password', 'a brand new password');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    await screen.findByText('Password changed.');
    expect(onSession).toHaveBeenCalledWith(renewed);
    expect(api.writes()[0]?.body).toEqual({ current: 'correct horse battery', next: 'a brand new password' });
  });

  it('puts a wrong current password at its field, without signing out', async () => {
    fakeApi({
      'POST /auth/password': {
        status: 401,
        body: {
          error: {
            code: 'invalid_credentials',
            message: 'the current password is wrong',
            details: { field: 'body.current' },
          },
        },
      },
    });
    const onSession = vi.fn();
    renderWithApi(
      <SessionUpdateContext.Provider value={onSession}>
        <AccountPage />
      </SessionUpdateContext.Provider>,
      signedInAs('viewer'),
    );
    fill('Current password', 'not it at all');
    fill('New password', 'a brand new password');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Current password').getAttribute('aria-invalid')).toBe('true'),
    );
    expect(onSession).not.toHaveBeenCalled();
  });

  it('explains a key has no password', () => {
    fakeApi({});
    renderWithApi(<AccountPage />, READ_ONLY_KEY);
    expect(screen.getByText(/read-only: a viewer/)).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Change your password' })).toBeNull();
  });
});
