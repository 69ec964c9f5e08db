// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gate, ReleasePlan } from '../api/types.js';
import { READ_ONLY_KEY, signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { KillSwitch } from './kill-switch.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const gate: Gate = {
  name: 'new_checkout',
  description: '',
  tags: [],
  owner: null,
  version: 2,
  createdAt: 0,
  updatedAt: 0,
  enabled: true,
  idType: 'userID',
  salt: 's',
  disabledIn: [],
  releasePlan: null,
  rules: [],
};
const environments = [
  { name: 'production', createdAt: 0 },
  { name: 'staging', createdAt: 0 },
];

describe('KillSwitch', () => {
  it('asks for confirmation before turning anything off', async () => {
    const api = fakeApi({
      'POST /gates/new_checkout/disable': { body: { ...gate, enabled: false, version: 3 } },
    });
    const onChanged = vi.fn();
    renderWithApi(<KillSwitch gate={gate} environments={environments} onChanged={onChanged} />);

    fireEvent.click(screen.getByRole('button', { name: 'Turn off everywhere' }));
    const dialog = screen.getByRole('dialog', { name: 'Turn off new_checkout?' });
    expect(api.calls).toHaveLength(0);

    // Cancel: nothing sent, dialog gone.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(api.calls).toHaveLength(0);

    // Confirm, with a reason.
    fireEvent.click(screen.getByRole('button', { name: 'Turn off everywhere' }));
    const again = screen.getByRole('dialog', { name: 'Turn off new_checkout?' });
    fireEvent.change(within(again).getByLabelText('Reason'), { target: { value: 'checkout errors' } });
    fireEvent.click(within(again).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ enabled: false })));
    expect(api.writes()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/gates/new_checkout/disable',
        body: { reason: 'checkout errors' },
      }),
    ]);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('turns off one environment from its row', async () => {
    const api = fakeApi({
      'POST /gates/new_checkout/disable': { body: { ...gate, disabledIn: ['staging'], version: 3 } },
    });
    renderWithApi(<KillSwitch gate={gate} environments={environments} onChanged={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Turn off in staging' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toEqual({ environments: ['staging'] });
  });

  it('stops a release in progress with a kill rollback', async () => {
    const plan = { status: 'active', stages: [], current: 0 } as unknown as ReleasePlan;
    const api = fakeApi({ 'POST /gates/new_checkout/rollback': { body: { ...gate, enabled: false } } });
    renderWithApi(
      <KillSwitch gate={{ ...gate, releasePlan: plan }} environments={environments} onChanged={() => {}} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Turn off everywhere' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('The release plan stops here');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]).toEqual(
      expect.objectContaining({ path: '/gates/new_checkout/rollback', body: { action: 'kill' } }),
    );
  });

  it('keeps the dialog open and shows the error when the server refuses', async () => {
    fakeApi({
      'POST /gates/new_checkout/disable': {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'body.reason: too long',
            details: { field: 'body.reason' },
          },
        },
      },
    });
    renderWithApi(<KillSwitch gate={gate} environments={[]} onChanged={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Turn off everywhere' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Turn off' }));
    const reason = within(screen.getByRole('dialog')).getByLabelText('Reason');
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    expect(within(screen.getByRole('dialog')).getByRole('alert').textContent).toContain('invalid_request');
  });

  it('turns a gate that is off back on, also through the dialog', async () => {
    const api = fakeApi({ 'POST /gates/new_checkout/enable': { body: { ...gate, enabled: true } } });
    renderWithApi(<KillSwitch gate={{ ...gate, enabled: false }} environments={[]} onChanged={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Turn on everywhere' }));
    expect(api.calls).toHaveLength(0);
    fireEvent.click(
      within(screen.getByRole('dialog', { name: 'Turn new_checkout back on?' })).getByRole('button', {
        name: 'Turn on',
      }),
    );
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.path).toBe('/gates/new_checkout/enable');
  });
});

describe('KillSwitch and access', () => {
  it('is disabled for viewers, with the reason on hover', () => {
    const api = fakeApi({});
    renderWithApi(
      <KillSwitch gate={gate} environments={environments} onChanged={() => {}} />,
      signedInAs('viewer'),
    );
    for (const name of ['Turn off everywhere', 'Turn off in production', 'Turn off in staging']) {
      const button = screen.getByRole('button', { name }) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.title).toContain('Ask an admin for the editor role');
    }
    fireEvent.click(screen.getByRole('button', { name: 'Turn off everywhere' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(api.calls).toHaveLength(0);
  });

  it('is disabled with a read-only key', () => {
    fakeApi({});
    renderWithApi(
      <KillSwitch gate={{ ...gate, enabled: false }} environments={[]} onChanged={() => {}} />,
      READ_ONLY_KEY,
    );
    const button = screen.getByRole('button', { name: 'Turn on everywhere' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.title).toContain('read-only');
  });

  it('turning back on where approval is required becomes a change request for the same action', async () => {
    const api = fakeApi({
      'POST /gates/new_checkout/enable': {
        status: 403,
        body: {
          error: {
            code: 'approval_required',
            message: "changes to production need a second person's approval",
            details: { environments: ['production'] },
          },
        },
      },
      'POST /change-requests': { status: 201, body: { id: 12, status: 'pending' } },
    });
    const onChanged = vi.fn();
    renderWithApi(
      <KillSwitch
        gate={{ ...gate, disabledIn: ['production'] }}
        environments={environments}
        onChanged={onChanged}
      />,
      signedInAs('editor'),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Turn on in production' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'fixed the timeouts' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Turn on' }));
    const offer = await within(dialog).findByRole('alert');
    expect(offer.textContent).toContain('production needs a second person’s approval');
    // The direct write cannot succeed: its button waits while the request is the way forward.
    expect((within(dialog).getByRole('button', { name: 'Turn on' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
    fireEvent.click(within(offer).getByRole('button', { name: 'Request approval' }));
    expect((await within(dialog).findByTestId('change-request-link')).getAttribute('href')).toBe(
      '/change-requests/12',
    );
    expect(api.writes()[1]?.body).toEqual({
      kind: 'gates',
      name: 'new_checkout',
      operation: 'action:enable',
      body: { environments: ['production'] },
      expectedVersion: 2,
      reason: 'fixed the timeouts',
    });
    expect(onChanged).not.toHaveBeenCalled();
  });
});
