// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Webhook } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { parseEvents, WebhooksPage } from './webhooks-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const hook: Webhook = {
  name: 'alerts',
  url: 'https://example.test/hook',
  format: 'json',
  events: ['*'],
  enabled: true,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
};

function fillForm() {
  fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'alerts' } });
  fireEvent.change(screen.getByLabelText('URL'), { target: { value: 'https://example.test/hook' } });
  fireEvent.change(screen.getByLabelText('Events'), {
    target: { value: 'guardrail.*, release.stage_changed' },
  });
}

describe('parseEvents', () => {
  it('splits on commas and spaces', () => {
    expect(parseEvents(' guardrail.*,release.x  *')).toEqual(['guardrail.*', 'release.x', '*']);
  });
});

describe('WebhooksPage', () => {
  it('shows the signing secret once after create, and not after a reload', async () => {
    let list: Webhook[] = [];
    const api = fakeApi({
      'GET /webhooks': () => ({ body: { webhooks: list } }),
      'POST /webhooks': (call) => {
        list = [hook];
        return { status: 201, body: { ...hook, ...(call.body as object), secret: 'whsec_once' } };
      },
    });
    renderWithApi(<WebhooksPage />);
    await screen.findByText('No webhooks yet');
    fillForm();
    fireEvent.click(screen.getByRole('button', { name: 'Create webhook' }));
    expect((await screen.findByTestId('webhook-secret')).textContent).toBe('whsec_once');
    expect(screen.getByText(/it will not be shown again/)).toBeTruthy();
    expect(api.writes()[0]?.body).toEqual({
      name: 'alerts',
      url: 'https://example.test/hook',
      format: 'json',
      events: ['guardrail.*', 'release.stage_changed'],
    });
    await screen.findByRole('table', { name: 'Webhooks' });

    cleanup();
    renderWithApi(<WebhooksPage />);
    await screen.findByRole('table', { name: 'Webhooks' });
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(document.body.textContent).not.toContain('whsec_once');
  });

  it('shows a 400 about body.url next to the URL field', async () => {
    fakeApi({
      'GET /webhooks': { body: { webhooks: [] } },
      'POST /webhooks': {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'body.url: an http:// or https:// URL',
            details: { field: 'body.url' },
          },
        },
      },
    });
    renderWithApi(<WebhooksPage />);
    await screen.findByText('No webhooks yet');
    fillForm();
    fireEvent.click(screen.getByRole('button', { name: 'Create webhook' }));
    const url = screen.getByLabelText('URL');
    await waitFor(() => expect(url.getAttribute('aria-invalid')).toBe('true'));
    const message = document.getElementById(url.getAttribute('aria-describedby') ?? '');
    expect(message?.textContent).toBe('an http:// or https:// URL');
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
  });

  it('sends a test and shows the outcome and the deliveries', async () => {
    const delivery = {
      id: 'd1',
      eventId: 'e1',
      type: 'webhook.test',
      status: 'failed',
      attempts: 1,
      maxAttempts: 1,
      lastStatusCode: 500,
      lastError: 'server error',
      createdAt: 0,
      lastAttemptAt: 0,
      nextAttemptAt: null,
      deliveredAt: null,
    };
    fakeApi({
      'GET /webhooks': { body: { webhooks: [hook] } },
      'POST /webhooks/alerts/test': { body: { delivered: false, delivery } },
      'GET /webhooks/alerts/deliveries': { body: { deliveries: [delivery] } },
    });
    renderWithApi(<WebhooksPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Send test to alerts' }));
    expect(await screen.findByText('Test to alerts failed')).toBeTruthy();
    await screen.findByRole('table', { name: 'Deliveries to alerts' });
    expect(screen.getAllByText(/HTTP 500/).length).toBeGreaterThan(0);
  });

  it('disables a webhook after confirming, with If-Match', async () => {
    const api = fakeApi({
      'GET /webhooks': { body: { webhooks: [hook] } },
      'PATCH /webhooks/alerts': { body: { ...hook, enabled: false, version: 2 } },
    });
    renderWithApi(<WebhooksPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Disable alerts' }));
    expect(api.writes()).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Disable webhook' }));
    await waitFor(() => expect(api.writes()).toHaveLength(1));
    expect(api.writes()[0]?.body).toEqual({ enabled: false });
    expect(api.writes()[0]?.headers['if-match']).toBe('"1"');
  });

  it('edits a webhook in place: URL, format, events and enabled, with If-Match', async () => {
    let list = [hook];
    const api = fakeApi({
      'GET /webhooks': () => ({ body: { webhooks: list } }),
      'PATCH /webhooks/alerts': (call) => {
        list = [{ ...hook, ...(call.body as object), version: 2 }];
        return { body: list[0] };
      },
    });
    renderWithApi(<WebhooksPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit alerts' }));
    const form = screen.getByRole('form', { name: 'Edit webhook alerts' });
    const inForm = within(form);
    expect((inForm.getByLabelText('URL') as HTMLInputElement).value).toBe('https://example.test/hook');
    fireEvent.change(inForm.getByLabelText('URL'), { target: { value: 'https://hooks.slack.test/x' } });
    fireEvent.change(inForm.getByLabelText('Format'), { target: { value: 'slack' } });
    fireEvent.change(inForm.getByLabelText('Events'), { target: { value: 'guardrail.*, topline.alert' } });
    fireEvent.click(inForm.getByLabelText(/Enabled/));
    fireEvent.click(inForm.getByRole('button', { name: 'Save webhook' }));

    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit webhook alerts' })).toBeNull());
    expect(api.writes()).toHaveLength(1);
    expect(api.writes()[0]?.method).toBe('PATCH');
    expect(api.writes()[0]?.headers['if-match']).toBe('"1"');
    expect(api.writes()[0]?.body).toEqual({
      url: 'https://hooks.slack.test/x',
      format: 'slack',
      events: ['guardrail.*', 'topline.alert'],
      enabled: false,
    });
    // The list shows what the server answered.
    expect(await screen.findByText('https://hooks.slack.test/x')).toBeTruthy();
    expect(screen.getByText('disabled')).toBeTruthy();
  });

  it('keeps the edit open and puts an API error next to the field it names', async () => {
    fakeApi({
      'GET /webhooks': { body: { webhooks: [hook] } },
      'PATCH /webhooks/alerts': {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'body.events.0: "*", an event type such as "guardrail.rollback", or a prefix',
            details: { field: 'body.events.0' },
          },
        },
      },
    });
    renderWithApi(<WebhooksPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit alerts' }));
    const form = within(screen.getByRole('form', { name: 'Edit webhook alerts' }));
    fireEvent.change(form.getByLabelText('Events'), { target: { value: 'Not An Event' } });
    fireEvent.click(form.getByRole('button', { name: 'Save webhook' }));
    const events = form.getByLabelText('Events');
    await waitFor(() => expect(events.getAttribute('aria-invalid')).toBe('true'));
    expect(
      document.getElementById(events.getAttribute('aria-describedby')?.split(' ').pop() ?? '')?.textContent,
    ).toBe('"*", an event type such as "guardrail.rollback", or a prefix');
    expect(form.getByLabelText('URL').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('invalid_request');

    fireEvent.click(form.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('form', { name: 'Edit webhook alerts' })).toBeNull();
  });
});
