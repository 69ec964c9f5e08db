// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DiffView, diffValues } from './diff-view.js';

afterEach(cleanup);

const rule = (id: string, name: string, passPercentage: number) => ({
  id,
  name,
  passPercentage,
  conditions: [{ type: 'public' }],
});

describe('diffValues', () => {
  it('names changed leaves by a readable path', () => {
    expect(diffValues({ enabled: true, rules: [] }, { enabled: false, rules: [] })).toEqual([
      { path: 'enabled', kind: 'changed', before: true, after: false },
    ]);
  });

  it('matches rules by id, so an inserted rule is one addition', () => {
    const before = { rules: [rule('a', 'Employees', 100), rule('b', 'Canary', 5)] };
    const after = { rules: [rule('n', 'Beta', 100), rule('a', 'Employees', 100), rule('b', 'Canary', 25)] };
    expect(diffValues(before, after)).toEqual([
      { path: 'rules[Beta]', kind: 'added', after: rule('n', 'Beta', 100) },
      { path: 'rules[Canary].passPercentage', kind: 'changed', before: 5, after: 25 },
    ]);
  });

  it('reports removed items and a new order', () => {
    const before = { rules: [rule('a', 'A', 1), rule('b', 'B', 2), rule('c', 'C', 3)] };
    const after = { rules: [rule('c', 'C', 3), rule('a', 'A', 1)] };
    expect(diffValues(before, after)).toEqual([
      { path: 'rules[B]', kind: 'removed', before: rule('b', 'B', 2) },
      { path: 'rules (order)', kind: 'changed', before: ['A', 'C'], after: ['C', 'A'] },
    ]);
  });

  it('shows lists of plain values whole', () => {
    expect(diffValues({ tags: ['a'] }, { tags: ['a', 'b'] })).toEqual([
      { path: 'tags', kind: 'changed', before: ['a'], after: ['a', 'b'] },
    ]);
  });

  it('lists the fields of a created object as added', () => {
    expect(diffValues(null, { name: 'g', enabled: true })).toEqual([
      { path: 'name', kind: 'added', after: 'g' },
      { path: 'enabled', kind: 'added', after: true },
    ]);
  });

  it('finds nothing between equal values', () => {
    expect(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});

describe('DiffView', () => {
  it('renders one row per change, saying what kind of change in text', () => {
    render(
      <DiffView
        label="Changes from v1 to v2"
        before={{ enabled: true, releasePlan: { status: 'active' } }}
        after={{ enabled: false, releasePlan: { status: 'rolled_back' }, disabledIn: ['staging'] }}
      />,
    );
    const table = screen.getByRole('table', { name: 'Changes from v1 to v2' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([
      'enabled changedtruefalse',
      'releasePlan.status changed"active""rolled_back"',
      'disabledIn added["staging"]',
    ]);
    expect(rows[2]?.className).toBe('diff-added');
  });

  it('says when there is no difference', () => {
    render(<DiffView before={{ a: 1 }} after={{ a: 1 }} />);
    expect(screen.getByText('No differences.')).toBeTruthy();
  });
});
