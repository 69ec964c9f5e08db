import {
  LIST_OPERATORS as CORE_LIST,
  OPERATORS as CORE_OPERATORS,
  CONDITION_TYPES as CORE_TYPES,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/types.js';
import {
  CONDITION_TYPES,
  fromApiCondition,
  LIST_OPERATORS,
  OPERATORS,
  splitList,
  toApiCondition,
} from './condition-model.js';

// The console copies the vocabulary (it reaches the server through the API only); this test is
// what keeps the copy honest when the evaluator learns a new type or operator.
describe('the console vocabulary', () => {
  it('has every condition type and operator of the evaluator, and the same list operators', () => {
    expect([...CONDITION_TYPES].sort()).toEqual([...CORE_TYPES].sort());
    expect([...OPERATORS].sort()).toEqual([...CORE_OPERATORS].sort());
    expect([...LIST_OPERATORS].sort()).toEqual([...CORE_LIST].sort());
  });
});

describe('toApiCondition / fromApiCondition', () => {
  const conditions: Condition[] = [
    { type: 'public' },
    { type: 'pass_gate', value: 'segment:employees' },
    { type: 'multi_fail_gate', value: ['a', 'b'] },
    { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] },
    { type: 'user_field', field: 'age', operator: 'gte', value: 18 },
    { type: 'user_field', field: 'beta', operator: 'eq', value: true },
    { type: 'user_field', field: 'plan', operator: 'eq', value: 'pro' },
    { type: 'ua_based', field: 'os_version', operator: 'version_gte', value: '17.0' },
    { type: 'current_time', operator: 'after', value: Date.UTC(2026, 11, 1, 9, 0) },
    { type: 'user_bucket', operator: 'lt', value: 500, idType: 'stableID', salt: 's' },
    { type: 'user_bucket', operator: 'any', value: [1, 2, 3] },
    { type: 'unit_id', operator: 'in_segment_list', value: 'beta_users' },
    { type: 'target_app', operator: 'none', value: ['web'] },
  ];
  it.each(conditions.map((c) => [JSON.stringify(c), c] as const))('round-trips %s', (_, condition) => {
    expect(toApiCondition(fromApiCondition(condition))).toEqual(condition);
  });

  it('splits lists on lines and commas, dropping blanks', () => {
    expect(splitList(' US, CA\n\nGB \n')).toEqual(['US', 'CA', 'GB']);
  });
});
