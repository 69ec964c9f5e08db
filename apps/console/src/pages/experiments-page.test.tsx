// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Experiment } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { ExperimentPage, parseIds } from './experiments-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const experiment: Experiment = {
  name: 'checkout_test',
  description: '',
  tags: [],
  owner: null,
  version: 4,
  createdAt: 0,
  updatedAt: 0,
  hypothesis: '',
  idType: 'userID',
  groups: [
    { id: 'g1', name: 'Control', weight: 50, parameters: {} },
    { id: 'g2', name: 'Test', weight: 50, parameters: { color: 'green' } },
  ],
  allocationPercent: 100,
  targetingGate: null,
  layer: null,
  defaultValue: {},
  overrides: [{ group: 'Test', ids: ['alice', 'bob'] }],
  status: 'draft',
  shippedGroup: null,
  startedAt: null,
  endedAt: null,
};

function routes(patch: Parameters<typeof fakeApi>[0][string]) {
  return fakeApi({
    'GET /experiments/checkout_test': { body: experiment },
    'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
    'GET /layers': { body: { layers: [] } },
    'GET /gates': { body: { gates: [] } },
    'GET /segments': { body: { segments: [] } },
    'GET /experiments/checkout_test/history': { body: { versions: [] } },
    'PATCH /experiments/checkout_test': patch,
  });
}

const override = (n: number) => within(screen.getByRole('group', { name: `Override ${n}` }));

describe('parseIds', () => {
  it('splits on commas and line breaks, keeping spaces inside an ID', () => {
    expect(parseIds(' alice, bob\n\ncarol smith ,\n')).toEqual(['alice', 'bob', 'carol smith']);
  });
});

describe('ExperimentPage: ID overrides', () => {
  it('shows the overrides and saves edits, a new override and a renamed group, with If-Match', async () => {
    const api = routes((call) => ({ body: { ...experiment, ...(call.body as object), version: 5 } }));
    renderWithApi(<ExperimentPage name="checkout_test" />);
    await screen.findByRole('heading', { name: 'ID overrides' });
    expect((override(1).getByLabelText('IDs') as HTMLTextAreaElement).value).toBe('alice\nbob');
    expect((override(1).getByLabelText('Group') as HTMLSelectElement).value).toBe('Test');
    expect(override(1).getByText(/2 IDs/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Add override' }));
    fireEvent.change(override(2).getByLabelText('Group'), { target: { value: 'Control' } });
    fireEvent.change(override(2).getByLabelText('IDs'), { target: { value: 'carol, dave\nerin' } });
    fireEvent.change(override(2).getByLabelText('Unit type'), { target: { value: 'stableID' } });
    expect(override(2).getByText(/3 IDs/)).toBeTruthy();
    // Renaming a group keeps the overrides that name it.
    const groupTwo = within(screen.getByRole('group', { name: 'Group 2' }));
    fireEvent.change(groupTwo.getByLabelText('Group name'), { target: { value: 'Green' } });
    expect((override(1).getByLabelText('Group') as HTMLSelectElement).value).toBe('Green');

    fireEvent.click(screen.getByRole('button', { name: 'Save experiment' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    const write = api.writes()[0];
    expect(write?.headers['if-match']).toBe('"4"');
    expect(write?.body).toHaveProperty('overrides', [
      { group: 'Green', ids: ['alice', 'bob'] },
      { group: 'Control', ids: ['carol', 'dave', 'erin'], idType: 'stableID' },
    ]);
    await screen.findByText(/version 5/);
  });

  it('removes an override', async () => {
    const api = routes((call) => ({ body: { ...experiment, ...(call.body as object), version: 5 } }));
    renderWithApi(<ExperimentPage name="checkout_test" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Remove override 1' }));
    expect(screen.queryByRole('group', { name: 'Override 1' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Save experiment' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toHaveProperty('overrides', []);
  });

  it('puts the API error next to the override field it names', async () => {
    const api = routes({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'body.overrides.0.ids.1: Too big: expected string to have <=500 characters',
          details: {
            field: 'body.overrides.0.ids.1',
            issues: [
              {
                field: 'body.overrides.0.ids.1',
                message: 'Too big: expected string to have <=500 characters',
              },
            ],
          },
        },
      },
    });
    renderWithApi(<ExperimentPage name="checkout_test" />);
    await screen.findByRole('heading', { name: 'ID overrides' });
    fireEvent.click(screen.getByRole('button', { name: 'Save experiment' }));
    const ids = await waitFor(() => {
      const field = override(1).getByLabelText('IDs');
      expect(field.getAttribute('aria-invalid')).toBe('true');
      return field;
    });
    const describedBy = (ids.getAttribute('aria-describedby') ?? '').split(' ');
    expect(describedBy.map((id) => document.getElementById(id)?.textContent)).toContain(
      'Too big: expected string to have <=500 characters',
    );
    expect(override(1).getByLabelText('Group').getAttribute('aria-invalid')).toBeNull();
    expect(api.writes()).toHaveLength(1);
  });

  it('shows a domain error about an override group at that group', async () => {
    routes({
      status: 400,
      body: {
        error: {
          code: 'unknown_group',
          message: 'no group is named "Gone"',
          details: { field: 'overrides.0.group' },
        },
      },
    });
    renderWithApi(<ExperimentPage name="checkout_test" />);
    await screen.findByRole('heading', { name: 'ID overrides' });
    fireEvent.click(screen.getByRole('button', { name: 'Save experiment' }));
    const group = override(1).getByLabelText('Group');
    await waitFor(() => expect(group.getAttribute('aria-invalid')).toBe('true'));
    // Once, at the override: not again at the list of overrides.
    expect(screen.getAllByText('no group is named "Gone"', { selector: '.field-error' })).toHaveLength(1);
    expect(override(1).getByText('no group is named "Gone"')).toBeTruthy();
  });

  it('a running experiment shows Pulse with its analysis options', async () => {
    const api = fakeApi({
      'GET /experiments/checkout_test': { body: { ...experiment, status: 'running', startedAt: 0 } },
      'GET /environments': { body: { environments: [{ name: 'production', createdAt: 0 }] } },
      'GET /pulse/experiments/checkout_test': { body: { comparisons: [], options: {} } },
    });
    renderWithApi(<ExperimentPage name="checkout_test" />);
    await screen.findByText('No exposures yet');
    fireEvent.click(screen.getByLabelText('CUPED'));
    await waitFor(() =>
      expect(
        api.calls.filter((call) => call.path === '/pulse/experiments/checkout_test').at(-1)?.query,
      ).toMatchObject({ cuped: 'false', sequential: 'true', alpha: '0.05' }),
    );
  });
});
