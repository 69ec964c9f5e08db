// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Access } from '../access/access-context.js';
import { renderWithApi } from '../test/render.js';
import { ApiForm } from './api-form.js';

const viewer: Access = {
  signer: {
    type: 'user',
    user: { id: 'u1', email: 'v@example.com', name: 'V', role: 'viewer', createdAt: 0, disabledAt: null },
  },
  role: 'viewer',
};
const readOnlyKey: Access = { signer: { type: 'key', prefix: 'console-ab', access: 'read' }, role: 'viewer' };

function form(send: () => Promise<unknown>, access?: Access, needs?: 'editor' | 'admin') {
  return renderWithApi(
    <ApiForm label="Edit thing" send={send} submitLabel="Save" {...(needs && { needs })}>
      <input aria-label="Name" />
    </ApiForm>,
    access,
  );
}

describe('ApiForm', () => {
  afterEach(cleanup);

  it('sends for someone whose role allows the write', async () => {
    const send = vi.fn(async () => ({ ok: true }));
    form(send);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
  });

  it('keeps the submit button disabled for a viewer and says why, and never sends', async () => {
    const send = vi.fn(async () => ({ ok: true }));
    form(send, viewer);
    const button = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText(/you are a viewer/i)).toBeTruthy();
    fireEvent.submit(screen.getByRole('form', { name: 'Edit thing' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(send).not.toHaveBeenCalled();
  });

  it('explains a read-only key, and admin-only forms to editors', () => {
    form(async () => ({}), readOnlyKey);
    expect(screen.getByText(/console key is read-only/i)).toBeTruthy();
    cleanup();
    form(async () => ({}), { ...viewer, role: 'editor' }, 'admin');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/only admins can do this/i)).toBeTruthy();
  });
});
