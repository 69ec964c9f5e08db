// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKey } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { KeysPage } from './keys-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const key = (changes: Partial<ApiKey>): ApiKey => ({
  id: 'k1',
  environment: 'production',
  kind: 'console',
  prefix: 'console-abcd',
  createdAt: 0,
  revokedAt: null,
  lastUsedAt: null,
  access: 'write',
  ...changes,
});

describe('KeysPage', () => {
  it('makes a read-only console key, and lists access and last use', async () => {
    const api = fakeApi({
      'GET /keys': {
        body: {
          keys: [
            key({ id: 'k1', access: 'read', lastUsedAt: Date.now() - 120_000 }),
            key({ id: 'k2', prefix: 'secret-wxyz', kind: 'server' }),
          ],
        },
      },
      'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
      'POST /keys': (call) => ({
        status: 201,
        body: {
          ...key({ id: 'k3', access: 'read' }),
          ...(call.body as object),
          secret: 'console-abcdsecret',
        },
      }),
    });
    renderWithApi(<KeysPage />);
    const table = await screen.findByRole('table', { name: 'API keys' });
    const [readKey, serverKey] = within(table).getAllByRole('row').slice(1) as HTMLElement[];
    expect(readKey?.textContent).toContain('read-only');
    expect(readKey?.textContent).toContain('2 min ago');
    expect(serverKey?.textContent).toContain('never');

    // Access is a console key's choice only.
    expect(screen.queryByLabelText('Access')).toBeNull();
    fireEvent.change(screen.getByLabelText('Key kind'), { target: { value: 'console' } });
    fireEvent.change(screen.getByLabelText('Access'), { target: { value: 'read' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect((await screen.findByTestId('new-key-secret')).textContent).toBe('console-abcdsecret');
    expect(screen.getByRole('status').textContent).toContain('New read-only console key for production');
    expect(api.writes()[0]?.body).toEqual({ environment: 'production', kind: 'console', access: 'read' });
  });

  it('sends no access for server and client keys', async () => {
    const api = fakeApi({
      'GET /keys': { body: { keys: [] } },
      'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
      'POST /keys': { status: 201, body: { ...key({ kind: 'server' }), secret: 'secret-x' } },
    });
    renderWithApi(<KeysPage />);
    await screen.findByText('No keys');
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await screen.findByTestId('new-key-secret');
    expect(api.writes()[0]?.body).toEqual({ environment: 'production', kind: 'server' });
  });
});
