// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Environment } from '../api/types.js';
import { signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { EnvironmentsPage } from './environments-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const environments: Environment[] = [
  { name: 'development', createdAt: 0, policy: null },
  { name: 'production', createdAt: 0, policy: { minRole: 'admin', requireApproval: false } },
];

describe('EnvironmentsPage', () => {
  it('lets admins require approval for production', async () => {
    let list = environments;
    const api = fakeApi({
      'GET /environments': () => ({ body: { environments: list } }),
      'PUT /environments/production/policy': (call) => {
        list = list.map((env) =>
          env.name === 'production' ? { ...env, policy: call.body as Environment['policy'] } : env,
        );
        return { body: call.body };
      },
    });
    renderWithApi(<EnvironmentsPage />, signedInAs('admin'));
    const role = (await screen.findByLabelText('Least role to change production')) as HTMLSelectElement;
    expect(role.value).toBe('admin');
    const save = screen.getByRole('button', { name: 'Save policy for production' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(role, { target: { value: 'editor' } });
    fireEvent.click(screen.getByLabelText('Changes to production need approval'));
    fireEvent.click(save);
    await screen.findByText('Saved');
    expect(api.writes()).toEqual([
      expect.objectContaining({
        method: 'PUT',
        path: '/environments/production/policy',
        body: { minRole: 'editor', requireApproval: true },
      }),
    ]);
    expect(screen.getByRole('form', { name: 'New environment' })).toBeTruthy();
  });

  it('shows everyone else the policies, read-only', async () => {
    fakeApi({ 'GET /environments': { body: { environments } } });
    renderWithApi(<EnvironmentsPage />, signedInAs('editor'));
    expect((await screen.findByTestId('policy-production')).textContent).toBe('Admins only, directly');
    expect(screen.getByTestId('policy-development').textContent).toBe('Editors and admins, directly');
    expect(screen.getByText(/Only admins can do this; you are an editor/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Save policy/ })).toBeNull();
    expect(screen.queryByRole('form', { name: 'New environment' })).toBeNull();
  });

  it('creates an environment', async () => {
    const api = fakeApi({
      'GET /environments': { body: { environments } },
      'POST /environments': { status: 201, body: { name: 'qa', createdAt: 0, policy: null } },
    });
    renderWithApi(<EnvironmentsPage />, signedInAs('admin'));
    fireEvent.change(await screen.findByRole('textbox', { name: 'New environment' }), {
      target: { value: ' qa ' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create environment' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toEqual({ name: 'qa' });
  });
});
