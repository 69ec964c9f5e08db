// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gate, ReleasePlan } from '../api/types.js';
import { signedInAs } from '../test/access.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { ReleasePanel } from './release-panel.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const stage = (ruleId: string, name: string, percentage: number) => ({
  ruleId,
  name,
  segment: null,
  percentage,
  minDurationMinutes: 0,
  minUnits: 0,
  guardrails: [],
});

const plan: ReleasePlan = {
  stages: [stage('s1', 'Canary', 5), stage('s2', 'Half', 50)],
  environment: 'production',
  autoAdvance: false,
  onRegression: 'kill',
  alpha: 0.05,
  nStar: 1000,
  salt: 'salt',
  current: 0,
  stageStartedAt: Date.now() - 60_000,
  status: 'active',
  lastRollback: null,
};

const gate: Gate = {
  name: 'new_checkout',
  description: '',
  tags: [],
  owner: null,
  version: 6,
  createdAt: 0,
  updatedAt: 0,
  enabled: true,
  idType: 'userID',
  salt: 's',
  disabledIn: [],
  releasePlan: plan,
  rules: [],
};

const reads = {
  'GET /gates/new_checkout/release': {
    body: {
      gate: 'new_checkout',
      version: 6,
      enabled: true,
      disabledIn: [],
      plan,
      stage: plan.stages[0],
      checks: [],
      scheduled: [],
    },
  },
  'GET /scheduled-changes': { body: { changes: [] } },
};

describe('ReleasePanel and access', () => {
  it('offers a change request when advancing needs approval', async () => {
    const api = fakeApi({
      ...reads,
      'POST /gates/new_checkout/advance': {
        status: 403,
        body: {
          error: {
            code: 'approval_required',
            message: "changes to production need a second person's approval",
            details: { environments: ['production'] },
          },
        },
      },
      'POST /change-requests': { status: 201, body: { id: 3, status: 'pending' } },
    });
    renderWithApi(<ReleasePanel gate={gate} environments={[]} onChanged={() => {}} />, signedInAs('editor'));
    fireEvent.click(screen.getByRole('button', { name: 'Advance to Half' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Advance' }));
    const offer = await within(dialog).findByRole('alert');
    fireEvent.click(within(offer).getByRole('button', { name: 'Request approval' }));
    expect((await within(dialog).findByTestId('change-request-link')).getAttribute('href')).toBe(
      '/change-requests/3',
    );
    expect(api.writes()[1]?.body).toEqual({
      kind: 'gates',
      name: 'new_checkout',
      operation: 'action:advance',
      body: {},
      expectedVersion: 6,
    });
  });

  it('keeps viewers off the release buttons', async () => {
    fakeApi(reads);
    renderWithApi(<ReleasePanel gate={gate} environments={[]} onChanged={() => {}} />, signedInAs('viewer'));
    await screen.findByRole('button', { name: 'Schedule' });
    for (const name of ['Advance to Half', 'Roll back', 'Pause', 'Replace the plan', 'Schedule']) {
      expect((screen.getByRole('button', { name }) as HTMLButtonElement).disabled, name).toBe(true);
    }
  });
});
