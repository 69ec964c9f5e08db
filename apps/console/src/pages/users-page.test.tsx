// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../api/access-types.js';
import { signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { UsersPage } from './users-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const ada: User = {
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  role: 'admin',
  createdAt: 0,
  disabledAt: null,
};
const ed: User = {
  id: 'u2',
  email: 'ed@example.com',
  name: 'Ed',
  role: 'editor',
  createdAt: 0,
  disabledAt: null,
};

function serverWith(initial: User[]) {
  let users = [...initial];
  const api = fakeApi({
    'GET /users': () => ({ body: { users } }),
    'POST /users': (call) => {
      const body = call.body as Omit<User, 'id'> & { password: string };
      const created: User = {
        id: 'u3',
        email: body.email,
        name: body.name,
        role: body.role,
        createdAt: 0,
        disabledAt: null,
      };
      users = [...users, created];
      return { status: 201, body: created };
    },
    'PATCH /users/u1': {
      status: 409,
      body: {
        error: {
          code: 'last_admin',
          message: 'the last active admin cannot be demoted or disabled',
          details: { field: 'body.role' },
        },
      },
    },
    'PATCH /users/u2': (call) => {
      const patch = call.body as { role?: User['role']; disabled?: boolean };
      users = users.map((user) =>
        user.id === 'u2'
          ? {
              ...user,
              ...(patch.role && { role: patch.role }),
              ...(patch.disabled !== undefined && { disabledAt: patch.disabled ? Date.now() : null }),
            }
          : user,
      );
      return { body: users.find((user) => user.id === 'u2') };
    },
    'POST /users/u2/password': { status: 204 },
  });
  return api;
}

const rowOf = (email: string) =>
  screen.getAllByRole('row').find((row) => within(row).queryByText(email) !== null) as HTMLElement;

describe('UsersPage', () => {
  it('adds a user with a role and an initial password', async () => {
    const api = serverWith([ada]);
    renderWithApi(<UsersPage />, signedInAs('admin'));
    await screen.findByRole('table', { name: 'Users' });
    expect(within(rowOf('ada@example.com')).getByText('you')).toBeTruthy();
    const form = screen.getByRole('form', { name: 'Add a user' });
    fireEvent.change(within(form).getByLabelText('Email'), { target: { value: 'vi@example.com' } });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Vi' } });
    fireEvent.change(within(form).getByLabelText('Role'), { target: { value: 'viewer' } });
    fireEvent.change(within(form).getByLabelText('Initial password'), {
      target: { value: 'a long password' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    await screen.findByText('Added vi@example.com as viewer.');
    expect(api.writes()[0]?.body).toEqual({
      email: 'vi@example.com',
      name: 'Vi',
      role: 'viewer',
      password: 'a long password',
    });
    await waitFor(() => expect(rowOf('vi@example.com')).toBeTruthy());
  });

  it('changes a role, and shows the server keeping the last admin', async () => {
    const api = serverWith([ada, ed]);
    renderWithApi(<UsersPage />, signedInAs('admin'));
    await screen.findByRole('table', { name: 'Users' });
    fireEvent.change(screen.getByLabelText('Role of ed@example.com'), { target: { value: 'viewer' } });
    await screen.findByText('Ed: role changed.');
    expect(api.writes()[0]).toMatchObject({ method: 'PATCH', path: '/users/u2', body: { role: 'viewer' } });
    await waitFor(() =>
      expect((screen.getByLabelText('Role of ed@example.com') as HTMLSelectElement).value).toBe('viewer'),
    );

    fireEvent.change(screen.getByLabelText('Role of ada@example.com'), { target: { value: 'editor' } });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Role not changed');
    expect(alert.textContent).toContain('last_admin');
    expect((screen.getByLabelText('Role of ada@example.com') as HTMLSelectElement).value).toBe('admin');
  });

  it('disables a user after a confirmation, and enables them again', async () => {
    const api = serverWith([ada, ed]);
    renderWithApi(<UsersPage />, signedInAs('admin'));
    await screen.findByRole('table', { name: 'Users' });
    fireEvent.click(screen.getByRole('button', { name: 'Disable ed@example.com' }));
    const dialog = screen.getByRole('dialog', { name: 'Disable ed@example.com?' });
    expect(api.writes()).toEqual([]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.writes()[0]).toMatchObject({ path: '/users/u2', body: { disabled: true } });
    expect(within(rowOf('ed@example.com')).getByText(/^disabled/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Enable ed@example.com' }));
    await waitFor(() => expect(api.writes()).toHaveLength(2));
    expect(api.writes()[1]?.body).toEqual({ disabled: false });
  });

  it('sets a new password', async () => {
    const api = serverWith([ada, ed]);
    renderWithApi(<UsersPage />, signedInAs('admin'));
    await screen.findByRole('table', { name: 'Users' });
    fireEvent.click(screen.getByRole('button', { name: 'Reset password of ed@example.com' }));
    const dialog = screen.getByRole('dialog', { name: 'New password for ed@example.com' });
    const confirm = within(dialog).getByRole('button', { name: 'Set password' }) as HTMLButtonElement;
    fireEvent.change(within(dialog).getByLabelText('New password'), { target: { value: 'short' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('New password'), {
      target: { value: 'a new long password' },
    });
    fireEvent.click(confirm);
    await screen.findByText('Ed: password set; they are signed out everywhere.');
    expect(api.writes()[0]).toMatchObject({
      path: '/users/u2/password',
      body: { password: 'a new long password' },
    });
  });
});
