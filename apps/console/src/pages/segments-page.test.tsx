// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Segment } from '../api/types.js';
import { fakeApi } from '../test/fake-api.js';
import { renderWithApi } from '../test/render.js';
import { SegmentPage } from './segments-page.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const segment: Segment = {
  name: 'beta',
  description: 'Beta testers',
  tags: [],
  owner: null,
  version: 5,
  createdAt: 0,
  updatedAt: 0,
  idType: 'userID',
  rules: [],
  idList: null,
};

const idList = { name: 'beta_ids', fileId: 'f', creationTime: 0, size: 10, entryCount: 3, version: 1 };

describe('SegmentPage', () => {
  it('saves the members as an ID list with If-Match, and shows a refusal next to the list', async () => {
    let answer: { status?: number; body: unknown } = {
      status: 400,
      body: {
        error: {
          code: 'unknown_id_list',
          message: 'ID list "beta_ids" is empty',
          details: { field: 'idList' },
        },
      },
    };
    const api = fakeApi({
      'GET /segments/beta': { body: segment },
      'GET /id_lists': { body: { idLists: [idList] } },
      'GET /environments': { body: { environments: [] } },
      'PATCH /segments/beta': () => answer,
    });
    renderWithApi(<SegmentPage name="beta" />);
    fireEvent.click(await screen.findByLabelText('The IDs in an ID list'));
    await screen.findByRole('option', { name: 'beta_ids (3 IDs)' });
    fireEvent.change(screen.getByLabelText('ID list'), { target: { value: 'beta_ids' } });
    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'Early adopters' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save segment' }));

    const list = screen.getByLabelText('ID list');
    await waitFor(() => expect(list.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('ID list "beta_ids" is empty', { selector: '.field-error' })).toBeTruthy();
    expect(api.writes()[0]?.headers['if-match']).toBe('"5"');
    expect(api.writes()[0]?.body).toEqual({
      description: 'Early adopters',
      idType: 'userID',
      idList: 'beta_ids',
      rules: [],
    });

    answer = { body: { ...segment, description: 'Early adopters', idList: 'beta_ids', version: 6 } };
    fireEvent.click(screen.getByRole('button', { name: 'Save segment' }));
    await screen.findByText(/version 6/);
    expect(screen.getByLabelText('ID list').getAttribute('aria-invalid')).toBeNull();
  });
});
