// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Layer } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { LayerPage, LayersPage } from './layers-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const layer: Layer = {
  name: 'checkout',
  description: '',
  tags: [],
  owner: null,
  version: 3,
  createdAt: 0,
  updatedAt: 0,
  idType: 'userID',
  defaultValue: { color: 'blue' },
};

const experiment = (name: string, layerName: string | null) => ({
  name,
  layer: layerName,
  status: 'running',
  allocationPercent: 50,
  groups: [{ name: 'control', weight: 50, parameters: { color: 'red' } }],
});

describe('LayerPage', () => {
  it('refuses invalid JSON before sending, then saves with If-Match', async () => {
    const api = fakeApi({
      'GET /layers/checkout': { body: layer },
      'GET /experiments': {
        body: { experiments: [experiment('in_layer', 'checkout'), experiment('other', null)] },
      },
      'PATCH /layers/checkout': (call) => ({
        body: { ...layer, defaultValue: (call.body as Layer).defaultValue, version: 4 },
      }),
    });
    renderWithApi(<LayerPage name="checkout" />);
    const editor = await screen.findByLabelText('Parameters and their defaults (JSON object)');
    expect(await screen.findByRole('link', { name: 'in_layer' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'other' })).toBeNull();

    fireEvent.change(editor, { target: { value: '{"color": ' } });
    expect(editor.getAttribute('aria-invalid')).toBe('true');
    const save = screen.getByRole('button', { name: 'Save parameters' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.submit(save.closest('form') as HTMLFormElement);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.writes()).toHaveLength(0);

    fireEvent.change(editor, { target: { value: '{"color": "green", "size": 2}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save parameters' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toEqual({ defaultValue: { color: 'green', size: 2 } });
    expect(api.writes()[0]?.headers['if-match']).toBe('"3"');
    await screen.findByText(/version 4/);
  });
});

describe('LayersPage', () => {
  it('lists layers and creates one with its parameters', async () => {
    const api = fakeApi({
      'GET /layers': { body: { layers: [layer] } },
      'POST /layers': (call) => ({ status: 201, body: { ...layer, ...(call.body as object) } }),
    });
    renderWithApi(<LayersPage />);
    expect(await screen.findByRole('link', { name: 'checkout' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('New layer name'), { target: { value: 'pricing' } });
    fireEvent.change(screen.getByLabelText('Parameters and their defaults (JSON object)'), {
      target: { value: '{"price": 10}' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create layer' }));
    await waitFor(() => expect(window.location.pathname).toBe('/layers/pricing'));
    expect(api.writes()[0]?.body).toEqual({ name: 'pricing', defaultValue: { price: 10 } });
  });
});
