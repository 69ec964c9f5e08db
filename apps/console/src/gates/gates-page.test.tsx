// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gate } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { FIRST_ROWS, filterGates, GatesPage, rowsInFirstPass } from './gates-page.js';

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

/** Body rows, counted cheaply: role queries over 1,000 rows are slow in happy-dom. */
const bodyRows = (table: HTMLElement) => table.querySelectorAll('tbody tr');
const rowOf = (table: HTMLElement, name: string) =>
  [...bodyRows(table)].find((row) => row.querySelector('th')?.textContent?.startsWith(name));

function showGates() {
  const api = fakeApi({
    'GET /gates': { body: { gates } },
    'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
  });
  window.history.replaceState(null, '', '/gates');
  renderWithApi(<GatesPage />);
  return api;
}

const typeSearch = (value: string) =>
  act(async () => {
    fireEvent.change(screen.getByLabelText('Search gates'), { target: { value } });
  });

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

describe('rowsInFirstPass', () => {
  const list = Array.from({ length: 1000 }, (_, i) => i);

  it('renders a first screenful of a new list', () => {
    expect(rowsInFirstPass(list, new Set())).toBe(FIRST_ROWS);
    expect(rowsInFirstPass(list.slice(0, 10), new Set())).toBe(10);
  });

  it('keeps every row already rendered, plus at most a screenful of new ones', () => {
    // Narrowing a search: every row of the new list is on the page already.
    const narrowed = list.filter((i) => i % 3 === 0);
    expect(rowsInFirstPass(narrowed, new Set(list))).toBe(narrowed.length);
    // Widening it: the rows on the page, and FIRST_ROWS new ones between them.
    const onPage = new Set(list.filter((i) => i % 10 === 0));
    const first = rowsInFirstPass(list, onPage);
    expect(list.slice(0, first).filter((i) => !onPage.has(i))).toHaveLength(FIRST_ROWS);
  });
});

describe('GatesPage', () => {
  it('lists 1,000 gates from one request, newest change first, and filters them', async () => {
    const api = showGates();
    const table = await screen.findByRole('table', { name: 'Gates' });
    // The first screenful renders first, the rest right after.
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1000), { timeout: 30_000 });
    expect(bodyRows(table)[0]?.textContent).toContain('gate_0999');
    expect(api.calls.filter((c) => c.path === '/gates')).toHaveLength(1);

    await typeSearch('gate_012');
    expect(await screen.findByText('10 of 1000 gates')).toBeTruthy();
    expect(window.location.search).toBe('?q=gate_012');
  });

  it('renders the first screenful at once and the other rows in passes after it', async () => {
    // Every row count the page shows on its way to 1,000 (each commit adds rows).
    const counts: number[] = [];
    const observer = new MutationObserver(() => {
      const count = document.querySelectorAll('tbody tr').length;
      if (count !== counts.at(-1)) counts.push(count);
    });
    observer.observe(document.body, { childList: true, subtree: true });
    showGates();
    const table = await screen.findByRole('table', { name: 'Gates' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1000), { timeout: 30_000 });
    observer.disconnect();
    expect(counts.filter((count) => count > 0)[0]).toBe(FIRST_ROWS);
    expect(counts.filter((count) => count > FIRST_ROWS && count < 1000).length).toBeGreaterThan(0);
  });

  it('keeps the rows already on the page when a search narrows the list, and brings all back', async () => {
    showGates();
    const table = await screen.findByRole('table', { name: 'Gates' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1000), { timeout: 30_000 });
    const kept = rowOf(table, 'gate_0100');

    await typeSearch('gate_01');
    expect(await screen.findByText('100 of 1000 gates')).toBeTruthy();
    // All 100 at once (their rows existed), and the very same elements: nothing re-mounted.
    expect(bodyRows(table)).toHaveLength(100);
    expect(rowOf(table, 'gate_0100')).toBe(kept);

    await typeSearch('');
    expect(await screen.findByText('1000 gates')).toBeTruthy();
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1000), { timeout: 30_000 });
    expect(rowOf(table, 'gate_0100')).toBe(kept);
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
