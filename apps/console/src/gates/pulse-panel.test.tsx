// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PulseResult } from '../api/types.js';
import { type Call, fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { DEFAULT_PULSE_OPTIONS, PulsePanel, pulseQuery } from './pulse-panel.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** A result computed with the options the request asked for, as the server answers. */
function resultFor(call: Call): PulseResult {
  return {
    entity: { kind: 'experiment', name: 'checkout_test' },
    environment: call.query.environment ?? 'production',
    through: call.query.through ?? null,
    options: {
      alpha: Number(call.query.alpha),
      cuped: call.query.cuped === 'true',
      sequential: call.query.sequential === 'true',
    },
    comparisons: [
      {
        control: { arm: 'g1', name: 'Control', units: 500 },
        treatment: { arm: 'g2', name: 'Test', units: 510 },
        srm: { expected: [0.5, 0.5], observed: [500, 510], pValue: 0.75, mismatch: false },
        metrics: [
          {
            metric: 'purchases',
            type: 'conversion',
            direction: 'increase',
            guardrail: false,
            control: { units: 500, mean: 0.1 },
            treatment: { units: 510, mean: 0.12 },
            absolute: { estimate: 0.02, interval: [0, 0.04], pValue: 0.04, significant: true },
            relative: { estimate: 0.2, interval: [0.01, 0.39], pValue: 0.04, significant: true },
            cuped: call.query.cuped === 'true',
            sequential: call.query.sequential === 'true',
            verdict: 'improved',
            guardrailRegression: null,
            guardrailBound: null,
            bayesian: null,
            cap: null,
          },
        ],
      },
    ],
  };
}

function setup(results?: (call: Call) => { status?: number; body: unknown }) {
  const api = fakeApi({
    'GET /pulse/experiments/checkout_test': results ?? ((call) => ({ body: resultFor(call) })),
    'GET /pulse/experiments/checkout_test/series': (call) => ({
      body: { granularity: call.query.granularity, days: [{ ...resultFor(call), through: '2026-11-01' }] },
    }),
  });
  renderWithApi(
    <PulsePanel
      kind="experiment"
      name="checkout_test"
      defaultEnvironment="production"
      environments={[{ name: 'production', createdAt: 0 }]}
    />,
  );
  const last = (path: string) => api.calls.filter((call) => call.path === path).at(-1)?.query;
  return {
    api,
    results: () => last('/pulse/experiments/checkout_test'),
    series: () => last('/pulse/experiments/checkout_test/series'),
  };
}

describe('pulseQuery', () => {
  it('turns the controls into the API query', () => {
    expect(pulseQuery(DEFAULT_PULSE_OPTIONS, 'staging')).toEqual({
      environment: 'staging',
      alpha: 0.05,
      cuped: true,
      sequential: true,
    });
    expect(
      pulseQuery(
        { confidence: '90', cuped: false, sequential: true, nStar: '20000', through: '2026-11-02' },
        'production',
      ),
    ).toEqual({
      environment: 'production',
      alpha: 0.1,
      cuped: false,
      sequential: true,
      nStar: 20000,
      through: '2026-11-02',
    });
    // nStar belongs to sequential testing, and only whole numbers the API takes are sent.
    expect(
      pulseQuery({ ...DEFAULT_PULSE_OPTIONS, sequential: false, nStar: '20000' }, 'p'),
    ).not.toHaveProperty('nStar');
    expect(pulseQuery({ ...DEFAULT_PULSE_OPTIONS, nStar: '50' }, 'p')).not.toHaveProperty('nStar');
  });
});

describe('PulsePanel: analysis options', () => {
  it('asks with the defaults, and says what the results were computed with', async () => {
    const { results, series } = setup();
    await screen.findByRole('table', { name: /Metrics: Test vs Control/ });
    expect(results()).toEqual({
      environment: 'production',
      alpha: '0.05',
      cuped: 'true',
      sequential: 'true',
    });
    await waitFor(() =>
      expect(series()).toEqual({
        environment: 'production',
        alpha: '0.05',
        cuped: 'true',
        sequential: 'true',
        granularity: 'day',
      }),
    );
    expect(screen.getByTestId('pulse-method').textContent).toMatch(
      /^95% always-valid intervals .* CUPED on: .* Results to date\./,
    );
  });

  it('re-queries the results and the series when CUPED, sequential or the confidence change', async () => {
    const { results, series } = setup();
    await screen.findByRole('table', { name: /Metrics: Test vs Control/ });

    fireEvent.click(screen.getByLabelText('CUPED'));
    await waitFor(() => expect(results()?.cuped).toBe('false'));
    await waitFor(() => expect(series()?.cuped).toBe('false'));

    fireEvent.change(screen.getByLabelText('Confidence'), { target: { value: '99' } });
    await waitFor(() => expect(results()?.alpha).toBe('0.01'));

    fireEvent.click(screen.getByLabelText('Sequential testing'));
    await waitFor(() => expect(results()?.sequential).toBe('false'));
    await waitFor(() =>
      expect(series()).toMatchObject({ alpha: '0.01', cuped: 'false', sequential: 'false' }),
    );
    expect(screen.queryByLabelText('Expected units')).toBeNull();
    await waitFor(() =>
      expect(screen.getByTestId('pulse-method').textContent).toMatch(
        /^99% fixed-horizon intervals .* CUPED off\./,
      ),
    );
  });

  it('sends an expected sample size only once it is one the API takes', async () => {
    const { api, results } = setup();
    await screen.findByRole('table', { name: /Metrics: Test vs Control/ });
    const input = screen.getByLabelText('Expected units');
    fireEvent.change(input, { target: { value: '50' } });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('a whole number from 100 up')).toBeTruthy();
    fireEvent.change(input, { target: { value: '5000' } });
    await waitFor(() => expect(results()?.nStar).toBe('5000'));
    expect(input.getAttribute('aria-invalid')).toBeNull();
    expect(api.calls.some((call) => call.query.nStar === '50')).toBe(false);
  });

  it('asks for results through a day, and the series up to it from a start day', async () => {
    const { results, series } = setup();
    await screen.findByRole('table', { name: /Metrics: Test vs Control/ });
    fireEvent.change(screen.getByLabelText('Through'), { target: { value: '2026-11-20' } });
    await waitFor(() => expect(results()?.through).toBe('2026-11-20'));
    await waitFor(() => expect(series()?.to).toBe('2026-11-20'));
    expect(series()).not.toHaveProperty('through');
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-01' } });
    await waitFor(() => expect(series()).toMatchObject({ from: '2026-11-01', to: '2026-11-20' }));
    await waitFor(() =>
      expect(screen.getByTestId('pulse-method').textContent).toContain('through the end of 2026-11-20'),
    );
  });

  it('shows the API refusing an option next to that option', async () => {
    setup((call) =>
      call.query.through
        ? {
            status: 400,
            body: {
              error: {
                code: 'invalid_request',
                message: 'querystring.through: Invalid ISO date',
                details: { field: 'querystring.through' },
              },
            },
          }
        : { body: resultFor(call) },
    );
    await screen.findByRole('table', { name: /Metrics: Test vs Control/ });
    const through = screen.getByLabelText('Through');
    fireEvent.change(through, { target: { value: '2026-11-20' } });
    await waitFor(() => expect(through.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('Invalid ISO date', { selector: '.field-error' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('invalid_request');
  });
});
