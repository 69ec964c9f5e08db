// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChangeRequest, ChangeRequestDetail } from '../api/access-types.js';
import { signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { ChangeRequestPage, ChangeRequestsPage, describeOperation } from './change-requests-page.js';

beforeEach(() => window.history.replaceState(null, '', '/change-requests'));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const everyone = {
  name: 'everyone',
  passPercentage: 100,
  conditions: [{ type: 'public' }],
  environments: null,
};

const request: ChangeRequest = {
  id: 7,
  kind: 'gate',
  name: 'new_checkout',
  operation: 'update',
  body: { rules: [everyone] },
  expectedVersion: 1,
  reason: 'canary',
  status: 'pending',
  requestedBy: 'user:editor-1',
  requestedAt: Date.now() - 60_000,
  reviewedBy: null,
  reviewedAt: null,
  appliedVersion: null,
};

const detail = (changes: Partial<ChangeRequest> = {}): ChangeRequestDetail => ({
  ...request,
  ...changes,
  preview: {
    before: { name: 'new_checkout', version: 1, rules: [] },
    after: { name: 'new_checkout', version: 1, rules: [everyone] },
    problem: null,
    environments: ['production'],
  },
});

describe('describeOperation', () => {
  it('reads operations as people say them', () => {
    expect(describeOperation({ operation: 'update', body: {} })).toBe('edit');
    expect(describeOperation({ operation: 'revert', body: { version: 3 } })).toBe('revert to v3');
    expect(describeOperation({ operation: 'action:resume-release', body: {} })).toBe('resume release');
  });
});

describe('ChangeRequestsPage', () => {
  it('lists the ones waiting for review by default, and others by status', async () => {
    const api = fakeApi({
      'GET /change-requests': (call) => ({
        body: { changeRequests: call.query.status === 'applied' ? [] : [request] },
      }),
    });
    renderWithApi(<ChangeRequestsPage />, signedInAs('admin'));
    const table = await screen.findByRole('table', { name: 'Change requests' });
    const row = within(table).getAllByRole('row')[1] as HTMLElement;
    expect(within(row).getByRole('link', { name: '#7' }).getAttribute('href')).toBe('/change-requests/7');
    expect(within(row).getByRole('link', { name: 'gate new_checkout' }).getAttribute('href')).toBe(
      '/gates/new_checkout',
    );
    expect(row.textContent).toContain('edit');
    expect(row.textContent).toContain('canary');
    expect(api.calls[0]?.query).toMatchObject({ status: 'pending' });
    fireEvent.click(screen.getByRole('button', { name: 'Applied' }));
    await screen.findByText('No change requests');
    expect(api.calls.at(-1)?.query).toMatchObject({ status: 'applied' });
  });
});

describe('ChangeRequestPage', () => {
  it('shows the diff and the protected environments, and approves', async () => {
    let current = detail();
    const api = fakeApi({
      'GET /change-requests/7': () => ({ body: current }),
      'GET /users': { body: { users: [] } },
      'POST /change-requests/7/approve': () => {
        current = detail({ status: 'approved', reviewedBy: 'user:u1', reviewedAt: Date.now() });
        return { body: current };
      },
    });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('admin'));
    await screen.findByRole('heading', { name: 'Change request #7' });
    expect(screen.getByTestId('change-request-environments').textContent).toBe('production');
    const diff = screen.getByRole('table', { name: 'Proposed change' });
    expect(diff.textContent).toContain('rules[everyone]');
    expect(diff.textContent).toContain('added');
    expect(screen.getByTestId('change-request-status').textContent).toBe('Waiting for review');

    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(screen.getByTestId('change-request-status').textContent).toBe('Approved, not applied'),
    );
    expect(api.writes().map((call) => call.path)).toEqual(['/change-requests/7/approve']);
    expect(screen.getByText('Approved by')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Apply now' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('shows the server refusing a self-approval', async () => {
    fakeApi({
      'GET /change-requests/7': { body: detail({ requestedBy: 'user:u1' }) },
      'POST /change-requests/7/approve': {
        status: 403,
        body: {
          error: {
            code: 'self_approval',
            message: 'a change request needs a second person: you requested this one',
          },
        },
      },
    });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('editor'));
    await screen.findByRole('heading', { name: 'Change request #7' });
    expect(screen.getByText('You requested this: someone else has to approve it.')).toBeTruthy();
    expect(screen.getByText(/^you,/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Not approved');
    expect(alert.textContent).toContain('self_approval');
    expect(alert.textContent).toContain('you requested this one');
  });

  it('applies an approved request, and says what version it made', async () => {
    let current = detail({ status: 'approved', reviewedBy: 'user:admin-2', reviewedAt: Date.now() });
    const api = fakeApi({
      'GET /change-requests/7': () => ({ body: current }),
      'POST /change-requests/7/apply': () => {
        current = detail({ status: 'applied', reviewedBy: 'user:admin-2', appliedVersion: 2 });
        return { body: { changeRequest: current, version: 2 } };
      },
    });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('editor', 'editor-1'));
    fireEvent.click(await screen.findByRole('button', { name: 'Apply now' }));
    await waitFor(() => expect(screen.getByTestId('change-request-status').textContent).toBe('Applied'));
    expect(api.writes().map((call) => call.path)).toEqual(['/change-requests/7/apply']);
    expect(screen.getByText('version 2')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Apply now' })).toBeNull();
  });

  it('shows why applying fails (not approved, the object changed since)', async () => {
    fakeApi({
      'GET /change-requests/7': {
        body: {
          ...detail({ status: 'approved' }),
          preview: { ...detail().preview, problem: 'at version 3, not 1' },
        },
      },
      'POST /change-requests/7/apply': {
        status: 409,
        body: { error: { code: 'version_conflict', message: 'gate "new_checkout" is at version 3, not 1' } },
      },
    });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('admin'));
    expect((await screen.findByText(/Applying it now would fail/)).textContent).toContain(
      'at version 3, not 1',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Apply now' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Not applied');
    expect(alert.textContent).toContain('version_conflict');
  });

  it('lets viewers read a request but not review it', async () => {
    const api = fakeApi({ 'GET /change-requests/7': { body: detail() } });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('viewer'));
    const approve = (await screen.findByRole('button', { name: 'Approve' })) as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    expect(approve.title).toContain('viewer');
    expect((screen.getByRole('button', { name: 'Reject' }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.writes()).toEqual([]);
  });

  it('rejects', async () => {
    let current = detail();
    fakeApi({
      'GET /change-requests/7': () => ({ body: current }),
      'POST /change-requests/7/reject': () => {
        current = detail({ status: 'rejected', reviewedBy: 'user:u1', reviewedAt: Date.now() });
        return { body: current };
      },
    });
    renderWithApi(<ChangeRequestPage id={7} />, signedInAs('editor'));
    fireEvent.click(await screen.findByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(screen.getByTestId('change-request-status').textContent).toBe('Rejected'));
    expect(screen.getByText('Rejected by')).toBeTruthy();
    expect(screen.getByText('What was requested')).toBeTruthy();
  });
});
