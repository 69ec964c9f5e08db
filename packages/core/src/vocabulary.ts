/**
 * The condition types and operators of the DCS v1 format that the evaluator supports: exactly
 * statsig-node 6.5.2's set. Anything else makes a spec `Unsupported`. The server's rule schema
 * and the console's condition builder offer these.
 */

export const CONDITION_TYPES = [
  'public',
  'pass_gate',
  'fail_gate',
  'multi_pass_gate',
  'multi_fail_gate',
  'ip_based',
  'ua_based',
  'user_field',
  'environment_field',
  'current_time',
  'user_bucket',
  'unit_id',
  'target_app',
] as const;

export type ConditionType = (typeof CONDITION_TYPES)[number];

export const OPERATORS = [
  'gt',
  'gte',
  'lt',
  'lte',
  'version_gt',
  'version_gte',
  'version_lt',
  'version_lte',
  'version_eq',
  'version_neq',
  'any',
  'none',
  'any_case_sensitive',
  'none_case_sensitive',
  'str_starts_with_any',
  'str_ends_with_any',
  'str_contains_any',
  'str_contains_none',
  'str_matches',
  'eq',
  'neq',
  'before',
  'after',
  'on',
  'in_segment_list',
  'not_in_segment_list',
  'array_contains_any',
  'array_contains_none',
  'array_contains_all',
  'not_array_contains_all',
] as const;

export type Operator = (typeof OPERATORS)[number];

/** Operators whose target is a list of values (the rest take one value, or a list name for ID lists). */
export const LIST_OPERATORS: ReadonlySet<Operator> = new Set<Operator>([
  'any',
  'none',
  'any_case_sensitive',
  'none_case_sensitive',
  'str_starts_with_any',
  'str_ends_with_any',
  'str_contains_any',
  'str_contains_none',
  'array_contains_any',
  'array_contains_none',
  'array_contains_all',
  'not_array_contains_all',
]);
