// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Metric } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { filterValues, MetricsPage } from './metrics-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const timeouts: Metric = {
  name: 'timeout_rate',
  description: '',
  tags: [],
  owner: null,
  version: 2,
  createdAt: 0,
  updatedAt: 0,
  type: 'ratio',
  numerator: {
    event: 'request',
    valueField: 'value',
    filters: [
      { field: 'metadata.status', operator: 'in', values: ['timeout', 504] },
      { field: 'metadata.region', operator: 'eq', values: ['eu'] },
    ],
  },
  denominator: { event: 'request', valueField: 'value', filters: [] },
  numeratorAggregation: 'count',
  denominatorAggregation: 'count',
  direction: 'decrease',
  guardrail: true,
  winsorizePercentile: null,
  unitType: 'userID',
};

const group = (name: string) => within(screen.getByRole('group', { name }));

describe('filterValues', () => {
  it('reads what the operator takes', () => {
    expect(filterValues('exists', 'ignored')).toEqual([]);
    expect(filterValues('in', ' pro, team ,, 3')).toEqual(['pro', 'team', '3']);
    expect(filterValues('gte', ' 10 ')).toEqual([10]);
    expect(filterValues('lt', 'soon')).toEqual(['soon']);
    expect(filterValues('eq', '42')).toEqual(['42']);
    expect(filterValues('eq', '  ')).toEqual([]);
  });
});

describe('MetricsPage: filters', () => {
  it('creates a metric with filters on event metadata and value', async () => {
    const api = fakeApi({
      'GET /metrics': { body: { metrics: [] } },
      'POST /metrics': (call) => ({ status: 201, body: { ...timeouts, ...(call.body as object) } }),
    });
    renderWithApi(<MetricsPage />);
    await screen.findByText('No metrics yet');
    fireEvent.change(screen.getByLabelText('Metric name'), { target: { value: 'pro_checkout' } });
    fireEvent.change(screen.getByLabelText('Event event'), { target: { value: 'checkout' } });
    expect(screen.getByText(/Every event of this name counts/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Add event filter' }));
    fireEvent.change(group('Event filter 1').getByLabelText('Field'), { target: { value: 'metadata.plan' } });
    fireEvent.change(group('Event filter 1').getByLabelText('Condition'), { target: { value: 'in' } });
    fireEvent.change(group('Event filter 1').getByLabelText('Values'), { target: { value: 'pro, team' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add event filter' }));
    fireEvent.change(group('Event filter 2').getByLabelText('Condition'), { target: { value: 'gte' } });
    fireEvent.change(group('Event filter 2').getByLabelText('Value'), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create metric' }));

    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toMatchObject({
      name: 'pro_checkout',
      type: 'conversion',
      denominator: null,
      numerator: {
        event: 'checkout',
        valueField: 'value',
        filters: [
          { field: 'metadata.plan', operator: 'in', values: ['pro', 'team'] },
          { field: 'value', operator: 'gte', values: [10] },
        ],
      },
    });
    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'Created pro_checkout.');
  });

  it("edits an existing metric's filters with If-Match, and shows a refused filter at its value", async () => {
    let answer: { status?: number; body: unknown } = {
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'body.denominator.filters.0.values: eq takes exactly one value',
          details: { field: 'body.denominator.filters.0.values' },
        },
      },
    };
    const api = fakeApi({
      'GET /metrics': { body: { metrics: [timeouts] } },
      'PATCH /metrics/timeout_rate': () => answer,
    });
    renderWithApi(<MetricsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit timeout_rate' }));
    const form = within(screen.getByRole('form', { name: 'Edit metric timeout_rate' }));
    expect((form.getByLabelText('Metric name') as HTMLInputElement).disabled).toBe(true);
    // The stored filters, as they read.
    expect((group('Numerator filter 1').getByLabelText('Values') as HTMLInputElement).value).toBe(
      'timeout, 504',
    );
    expect((group('Numerator filter 2').getByLabelText('Condition') as HTMLSelectElement).value).toBe('eq');

    fireEvent.change(group('Numerator filter 1').getByLabelText('Condition'), {
      target: { value: 'exists' },
    });
    expect(group('Numerator filter 1').queryByLabelText(/Value/)).toBeNull();
    fireEvent.click(form.getByRole('button', { name: 'Remove numerator filter 2' }));
    fireEvent.click(form.getByRole('button', { name: 'Add denominator filter' }));
    fireEvent.change(group('Denominator filter 1').getByLabelText('Field'), {
      target: { value: 'metadata.kind' },
    });
    fireEvent.click(form.getByRole('button', { name: 'Save metric' }));

    const value = group('Denominator filter 1').getByLabelText('Value');
    await waitFor(() => expect(value.getAttribute('aria-invalid')).toBe('true'));
    expect(group('Denominator filter 1').getByText('eq takes exactly one value')).toBeTruthy();
    expect(screen.getAllByText('eq takes exactly one value', { selector: '.field-error' })).toHaveLength(1);
    expect(api.writes()[0]?.headers['if-match']).toBe('"2"');
    expect(api.writes()[0]?.body).not.toHaveProperty('name');
    expect(api.writes()[0]?.body).toMatchObject({
      numerator: {
        event: 'request',
        filters: [{ field: 'metadata.status', operator: 'exists', values: [] }],
      },
      denominator: { event: 'request', filters: [{ field: 'metadata.kind', operator: 'eq', values: [] }] },
    });
    expect(api.writes()[0]?.body).toHaveProperty('numerator.filters', [
      { field: 'metadata.status', operator: 'exists', values: [] },
    ]);

    answer = { body: { ...timeouts, version: 3 } };
    fireEvent.change(value, { target: { value: 'read' } });
    fireEvent.click(form.getByRole('button', { name: 'Save metric' }));
    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'Saved timeout_rate.');
    expect(api.writes()[1]?.body).toMatchObject({
      denominator: { filters: [{ field: 'metadata.kind', operator: 'eq', values: ['read'] }] },
    });
    expect(screen.queryByRole('form', { name: 'Edit metric timeout_rate' })).toBeNull();
    expect(screen.getByRole('form', { name: 'New metric' })).toBeTruthy();
  });
});
