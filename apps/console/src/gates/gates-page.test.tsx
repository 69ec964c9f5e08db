// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gate } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { filterGates, GatesPage } from './gates-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

function makeGate(i: number): Gate {
  return {
    name: `gate_${String(i).padStart(4, '0')}`,
    description: i % 10 === 0 ? 'checkout work' : '',
    tags: i % 2 ? ['web'] : ['mobile'],
    owner: null,
    version: 1,
    createdAt: 0,
    updatedAt: i,
    enabled: i % 3 !== 0,
    idType: 'userID',
    salt: '',
    rules: [],
    disabledIn: i % 7 === 0 ? ['staging'] : [],
    releasePlan:
      i % 5 === 0
        ? ({
            status: 'active',
            current: 0,
            stages: [{ name: 'Canary', segment: null, percentage: 5 }],
          } as never)
        : null,
  };
}

const gates = Array.from({ length: 1000 }, (_, i) => makeGate(i));
const none = { q: '', tag: '', status: '', plan: '', env: '' };

describe('filterGates', () => {
  it('filters by text, tag, status (per environment) and release plan', () => {
    expect(filterGates(gates, { ...none, q: 'checkout' })).toHaveLength(100);
    expect(filterGates(gates, { ...none, tag: 'web' })).toHaveLength(500);
    expect(filterGates(gates, { ...none, plan: 'yes' })).toHaveLength(200);
    const offAnywhere = filterGates(gates, { ...none, status: 'off' });
    const offInStaging = filterGates(gates, { ...none, status: 'off', env: 'staging' });
    const offInProduction = filterGates(gates, { ...none, status: 'off', env: 'production' });
    expect(offInProduction.length).toBe(334);
    expect(offInStaging.length).toBeGreaterThan(offInProduction.length);
    expect(offAnywhere.length).toBe(offInStaging.length);
  });
});

describe('GatesPage', () => {
  it('lists 1,000 gates from one request, newest change first, and filters them', async () => {
    const api = fakeApi({
      'GET /gates': { body: { gates } },
      'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
    });
    window.history.replaceState(null, '', '/gates');
    renderWithApi(<GatesPage />);
    const table = await screen.findByRole('table', { name: 'Gates' });
    // The first screenful renders first, the rest right after.
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(1001), { timeout: 5000 });
    const rows = within(table).getAllByRole('row');
    expect(rows[1]?.textContent).toContain('gate_0999');
    expect(api.calls.filter((c) => c.path === '/gates')).toHaveLength(1);

    await act(async () => {
      fireEvent.change(screen.getByLabelText('Search gates'), { target: { value: 'gate_012' } });
    });
    expect(await screen.findByText('10 of 1000 gates')).toBeTruthy();
    expect(window.location.search).toBe('?q=gate_012');
  });

  it('says so when there are no gates', async () => {
    fakeApi({ 'GET /gates': { body: { gates: [] } }, 'GET /environments': { body: { environments: [] } } });
    renderWithApi(<GatesPage />);
    expect(await screen.findByText('No gates yet')).toBeTruthy();
  });

  it('shows the error code and message when the list cannot load', async () => {
    fakeApi({
      'GET /gates': { status: 503, body: { error: { code: 'unavailable', message: 'database is down' } } },
    });
    renderWithApi(<GatesPage />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('unavailable');
    expect(alert.textContent).toContain('database is down');
  });
});
