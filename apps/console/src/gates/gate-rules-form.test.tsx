// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gate } from '../api/types.js';
import { READ_ONLY_KEY, signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { GateRulesForm } from './gate-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const gate: Gate = {
  name: 'new_checkout',
  description: '',
  tags: [],
  owner: null,
  version: 4,
  createdAt: 0,
  updatedAt: 0,
  enabled: true,
  idType: 'userID',
  salt: 's',
  disabledIn: [],
  releasePlan: null,
  rules: [
    {
      id: 'r1',
      salt: 'x',
      name: 'Employees',
      passPercentage: 100,
      environments: null,
      conditions: [
        { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] },
        { type: 'user_field', field: 'country', operator: 'any', value: ['US'] },
      ],
    },
  ],
};

const lists = {
  'GET /gates': { body: { gates: [] } },
  'GET /segments': { body: { segments: [] } },
  'GET /id_lists': { body: { idLists: [] } },
};

/** The description (hint and error) of a control, as a screen reader reads it. */
function descriptionOf(element: HTMLElement): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

describe('GateRulesForm', () => {
  it('saves with If-Match and the rule ids kept', async () => {
    const api = fakeApi({
      ...lists,
      'PATCH /gates/new_checkout': (call) => ({ body: { ...gate, version: 5, ...(call.body as object) } }),
    });
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />);
    const rule = screen.getByRole('group', { name: 'Rule 1' });
    fireEvent.change(within(rule).getByRole('slider', { name: 'Pass percentage' }), {
      target: { value: '25' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('Saved as version 5');
    const [patch] = api.writes();
    expect(patch?.headers['if-match']).toBe('"4"');
    expect((patch?.body as { rules: unknown[] } | undefined)?.rules).toEqual([
      {
        id: 'r1',
        name: 'Employees',
        passPercentage: 25,
        environments: null,
        conditions: gate.rules[0]?.conditions,
      },
    ]);
  });

  it('puts an API field error next to the field it names', async () => {
    fakeApi({
      ...lists,
      'PATCH /gates/new_checkout': {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'body.rules.0.conditions.1.value: any takes a list',
            details: {
              field: 'body.rules.0.conditions.1.value',
              issues: [{ field: 'body.rules.0.conditions.1.value', message: 'any takes a list' }],
            },
          },
        },
      },
    });
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />);
    fireEvent.change(within(screen.getByRole('group', { name: 'Rule 1' })).getByLabelText('Rule name'), {
      target: { value: 'Staff' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));

    const second = screen.getByRole('group', { name: 'Rule 1 condition 2' });
    const values = within(second).getByLabelText('Values');
    await waitFor(() => expect(values.getAttribute('aria-invalid')).toBe('true'));
    expect(descriptionOf(values)).toContain('any takes a list');
    // Only that field: the first condition's values are not marked.
    const first = within(screen.getByRole('group', { name: 'Rule 1 condition 1' })).getByLabelText('Values');
    expect(first.getAttribute('aria-invalid')).toBeNull();
    // The code and message are in the banner too.
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('invalid_request');
    expect(alert.textContent).toContain('rules.0.conditions.1.value');
  });

  it('shows a domain error (a path without body.) at its field', async () => {
    fakeApi({
      ...lists,
      'PATCH /gates/new_checkout': {
        status: 400,
        body: {
          error: {
            code: 'unknown_rule',
            message: 'rule "r1" does not exist',
            details: { field: 'rules.0.name' },
          },
        },
      },
    });
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />);
    const name = within(screen.getByRole('group', { name: 'Rule 1' })).getByLabelText('Rule name');
    fireEvent.change(name, { target: { value: 'Staff' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    expect(descriptionOf(name)).toContain('rule "r1" does not exist');
  });

  it('says clearly when someone else saved first (409), overwriting nothing', async () => {
    const api = fakeApi({
      ...lists,
      'PATCH /gates/new_checkout': {
        status: 409,
        body: { error: { code: 'version_conflict', message: 'gate "new_checkout" is at version 5, not 4' } },
      },
    });
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />);
    fireEvent.change(within(screen.getByRole('group', { name: 'Rule 1' })).getByLabelText('Rule name'), {
      target: { value: 'Staff' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Someone else changed this gate since you opened it');
    expect(alert.textContent).toContain('version_conflict');
    expect(within(alert).getByRole('button', { name: 'Load their version (discard my edits)' })).toBeTruthy();
    expect(api.writes()).toHaveLength(1);
    // The edit is still there.
    expect(
      (within(screen.getByRole('group', { name: 'Rule 1' })).getByLabelText('Rule name') as HTMLInputElement)
        .value,
    ).toBe('Staff');
  });
});

describe('GateRulesForm and access', () => {
  it('lets viewers read the rules but not change them, and says why', () => {
    fakeApi(lists);
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />, signedInAs('viewer'));
    expect(screen.getByTestId('rules-read-only').textContent).toContain('Ask an admin for the editor role');
    const name = within(screen.getByRole('group', { name: 'Rule 1' })).getByLabelText('Rule name');
    expect(name.closest('fieldset.bare-fieldset')?.hasAttribute('disabled')).toBe(true);
    const save = screen.getByRole('button', { name: 'Save rules' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    expect(save.title).toContain('you can look at everything but not change it');
  });

  it('says a read-only key cannot change anything', () => {
    fakeApi(lists);
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={() => {}} />, READ_ONLY_KEY);
    expect(screen.getByTestId('rules-read-only').textContent).toContain('This console key is read-only');
  });

  it('offers to request approval when production needs it, with the same change and version', async () => {
    const api = fakeApi({
      ...lists,
      'PATCH /gates/new_checkout': {
        status: 403,
        body: {
          error: {
            code: 'approval_required',
            message: "changes to production need a second person's approval",
            details: { environments: ['production'] },
          },
        },
      },
      'POST /change-requests': (call) => ({
        status: 201,
        body: { id: 7, status: 'pending', ...(call.body as object) },
      }),
    });
    const onSaved = vi.fn();
    renderWithApi(<GateRulesForm gate={gate} environments={[]} onSaved={onSaved} />, signedInAs('editor'));
    fireEvent.change(within(screen.getByRole('group', { name: 'Rule 1' })).getByRole('slider'), {
      target: { value: '25' },
    });
    fireEvent.change(screen.getByLabelText('Reason for the change'), { target: { value: 'wider canary' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    const offer = await screen.findByRole('alert');
    expect(offer.textContent).toContain('production needs a second person’s approval');
    expect(offer.textContent).toContain('Nothing was changed');
    fireEvent.click(within(offer).getByRole('button', { name: 'Request approval' }));
    const link = await screen.findByTestId('change-request-link');
    expect(link.getAttribute('href')).toBe('/change-requests/7');
    expect(link.textContent).toBe('#7');
    const [patch, request] = api.writes();
    expect(request).toMatchObject({ method: 'POST', path: '/change-requests' });
    expect(request?.body).toEqual({
      kind: 'gates',
      name: 'new_checkout',
      operation: 'update',
      body: (({ reason: _, ...rest }) => rest)(patch?.body as Record<string, unknown>),
      expectedVersion: 4,
      reason: 'wider canary',
    });
    expect(request?.body).toMatchObject({ body: { rules: [{ passPercentage: 25 }] } });
    expect(onSaved).not.toHaveBeenCalled();
  });
});
