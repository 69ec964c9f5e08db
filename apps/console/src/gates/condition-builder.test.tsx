// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Condition } from '../api/types.js';
import { ConditionBuilder } from './condition-builder.js';
import { type ConditionDraft, newCondition, toApiCondition } from './condition-model.js';

afterEach(cleanup);

/** The builder with its state, reporting the API JSON after every change. */
function Harness({ onJson }: { onJson: (condition: Condition) => void }) {
  const [draft, setDraft] = useState<ConditionDraft>(() => newCondition());
  return (
    <ConditionBuilder
      draft={draft}
      path="rules.0.conditions.0"
      label="Rule 1 condition 1"
      onChange={(next) => {
        setDraft(next);
        onJson(toApiCondition(next));
      }}
    />
  );
}

function setup() {
  let json: Condition | undefined;
  render(<Harness onJson={(c) => (json = c)} />);
  const group = screen.getByRole('group', { name: 'Rule 1 condition 1' });
  const q = within(group);
  const change = (label: string, value: string) =>
    fireEvent.change(q.getByLabelText(label), { target: { value } });
  return { q, change, json: () => json };
}

describe('ConditionBuilder produces the API JSON', () => {
  it('public: everyone, nothing else', () => {
    const { change, json } = setup();
    change('Type', 'public');
    expect(json()).toEqual({ type: 'public' });
  });

  it.each(['pass_gate', 'fail_gate'])('%s: one gate or segment name', (type) => {
    const { change, json } = setup();
    change('Type', type);
    change('Gate or segment', 'segment:employees');
    expect(json()).toEqual({ type, value: 'segment:employees' });
  });

  it.each(['multi_pass_gate', 'multi_fail_gate'])('%s: a list of gate names', (type) => {
    const { change, json } = setup();
    change('Type', type);
    change('Gates', 'beta\nsegment:staff');
    expect(json()).toEqual({ type, value: ['beta', 'segment:staff'] });
  });

  it('user_field: a field, an operator and a list', () => {
    const { change, json } = setup();
    change('Type', 'user_field');
    change('Field', 'email');
    change('Operator', 'str_ends_with_any');
    change('Values', '@company.com\n@corp.example');
    expect(json()).toEqual({
      type: 'user_field',
      field: 'email',
      operator: 'str_ends_with_any',
      value: ['@company.com', '@corp.example'],
    });
  });

  it('user_field: numbers for numeric operators', () => {
    const { change, json } = setup();
    change('Field', 'age');
    change('Operator', 'gte');
    change('Value', '18');
    expect(json()).toEqual({ type: 'user_field', field: 'age', operator: 'gte', value: 18 });
  });

  it('user_field: eq with a chosen value type', () => {
    const { change, json } = setup();
    change('Field', 'beta');
    change('Operator', 'eq');
    change('Value type', 'boolean');
    change('Value', 'true');
    expect(json()).toEqual({ type: 'user_field', field: 'beta', operator: 'eq', value: true });
    change('Value type', 'string');
    change('Value', 'pro');
    expect(json()).toEqual({ type: 'user_field', field: 'beta', operator: 'eq', value: 'pro' });
  });

  it('ip_based: country any of', () => {
    const { change, json } = setup();
    change('Type', 'ip_based');
    change('Values', 'US, CA');
    expect(json()).toEqual({ type: 'ip_based', field: 'country', operator: 'any', value: ['US', 'CA'] });
  });

  it('ua_based: a version comparison keeps the version as text', () => {
    const { change, json } = setup();
    change('Type', 'ua_based');
    change('Field', 'os_version');
    change('Operator', 'version_gte');
    change('Value', '17.0.1');
    expect(json()).toEqual({
      type: 'ua_based',
      field: 'os_version',
      operator: 'version_gte',
      value: '17.0.1',
    });
  });

  it('environment_field: tier', () => {
    const { change, json } = setup();
    change('Type', 'environment_field');
    change('Values', 'staging');
    expect(json()).toEqual({ type: 'environment_field', field: 'tier', operator: 'any', value: ['staging'] });
  });

  it('current_time: a local date and time as epoch milliseconds', () => {
    const { change, json } = setup();
    change('Type', 'current_time');
    change('Operator', 'before');
    change('Date and time', '2026-12-01T09:00');
    expect(json()).toEqual({
      type: 'current_time',
      operator: 'before',
      value: new Date('2026-12-01T09:00').getTime(),
    });
  });

  it('user_bucket: a bucket number, unit type and salt', () => {
    const { change, json } = setup();
    change('Type', 'user_bucket');
    change('Value', '500');
    change('Unit type', 'stableID');
    change('Salt', 'fixed-salt');
    expect(json()).toEqual({
      type: 'user_bucket',
      operator: 'lt',
      value: 500,
      idType: 'stableID',
      salt: 'fixed-salt',
    });
    change('Operator', 'any');
    change('Values', '1\n2');
    expect(json()).toEqual({
      type: 'user_bucket',
      operator: 'any',
      value: [1, 2],
      idType: 'stableID',
      salt: 'fixed-salt',
    });
  });

  it('unit_id: in an ID list', () => {
    const { change, json } = setup();
    change('Type', 'unit_id');
    change('Operator', 'in_segment_list');
    change('ID list', 'beta_users');
    expect(json()).toEqual({ type: 'unit_id', operator: 'in_segment_list', value: 'beta_users' });
  });

  it('target_app: any of', () => {
    const { change, json } = setup();
    change('Type', 'target_app');
    change('Values', 'web\nios');
    expect(json()).toEqual({ type: 'target_app', operator: 'any', value: ['web', 'ios'] });
  });

  it('offers every operator, grouped', () => {
    const { q } = setup();
    const options = within(q.getByLabelText('Operator')).getAllByRole('option');
    expect(options).toHaveLength(30);
  });
});
