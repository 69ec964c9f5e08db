import type { Condition, Json } from '../api/types.js';

/**
 * The condition vocabulary the authoring API accepts (packages/core/src/vocabulary.ts, exposed
 * through the API's conditionSchema): copied, not imported, because the console reaches the
 * server through its HTTP API only. condition-model.test.ts fails when these lists drift from
 * the evaluator's vocabulary.
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

export const CONDITION_TYPE_LABELS: Record<ConditionType, string> = {
  public: 'Everyone',
  pass_gate: 'Passes gate / in segment',
  fail_gate: 'Fails gate / not in segment',
  multi_pass_gate: 'Passes any of gates',
  multi_fail_gate: 'Fails any of gates',
  ip_based: 'IP address (country)',
  ua_based: 'User agent (OS, browser)',
  user_field: 'User attribute',
  environment_field: 'Environment (tier)',
  current_time: 'Current time',
  user_bucket: 'User bucket (0-999)',
  unit_id: 'Unit ID',
  target_app: 'Target app',
};

/** Operators, grouped as people look for them. */
export const OPERATOR_GROUPS: { label: string; operators: { value: string; label: string }[] }[] = [
  {
    label: 'Text',
    operators: [
      { value: 'any', label: 'is any of' },
      { value: 'none', label: 'is none of' },
      { value: 'any_case_sensitive', label: 'is any of (case-sensitive)' },
      { value: 'none_case_sensitive', label: 'is none of (case-sensitive)' },
      { value: 'str_starts_with_any', label: 'starts with any of' },
      { value: 'str_ends_with_any', label: 'ends with any of' },
      { value: 'str_contains_any', label: 'contains any of' },
      { value: 'str_contains_none', label: 'contains none of' },
      { value: 'str_matches', label: 'matches regex' },
      { value: 'eq', label: 'equals' },
      { value: 'neq', label: 'does not equal' },
    ],
  },
  {
    label: 'Number',
    operators: [
      { value: 'gt', label: '>' },
      { value: 'gte', label: '≥' },
      { value: 'lt', label: '<' },
      { value: 'lte', label: '≤' },
    ],
  },
  {
    label: 'Version',
    operators: [
      { value: 'version_gt', label: 'version >' },
      { value: 'version_gte', label: 'version ≥' },
      { value: 'version_lt', label: 'version <' },
      { value: 'version_lte', label: 'version ≤' },
      { value: 'version_eq', label: 'version =' },
      { value: 'version_neq', label: 'version ≠' },
    ],
  },
  {
    label: 'Date',
    operators: [
      { value: 'before', label: 'before' },
      { value: 'after', label: 'after' },
      { value: 'on', label: 'on the day of' },
    ],
  },
  {
    label: 'ID list',
    operators: [
      { value: 'in_segment_list', label: 'is in ID list' },
      { value: 'not_in_segment_list', label: 'is not in ID list' },
    ],
  },
  {
    label: 'Array attribute',
    operators: [
      { value: 'array_contains_any', label: 'array contains any of' },
      { value: 'array_contains_none', label: 'array contains none of' },
      { value: 'array_contains_all', label: 'array contains all of' },
      { value: 'not_array_contains_all', label: 'array does not contain all of' },
    ],
  },
];

export const OPERATORS = OPERATOR_GROUPS.flatMap((group) =>
  group.operators.map((operator) => operator.value),
);

/** Operators whose value is a list (the API refuses a scalar for them, and a list for the rest). */
export const LIST_OPERATORS: ReadonlySet<string> = new Set([
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
const NUMBER_OPERATORS: ReadonlySet<string> = new Set(['gt', 'gte', 'lt', 'lte']);
const DATE_OPERATORS: ReadonlySet<string> = new Set(['before', 'after', 'on']);
const ID_LIST_OPERATORS: ReadonlySet<string> = new Set(['in_segment_list', 'not_in_segment_list']);

/** Types that read a named attribute (`field`). */
export const FIELD_TYPES: ReadonlySet<ConditionType> = new Set([
  'user_field',
  'ip_based',
  'ua_based',
  'environment_field',
]);
export const GATE_TYPES: ReadonlySet<ConditionType> = new Set([
  'pass_gate',
  'fail_gate',
  'multi_pass_gate',
  'multi_fail_gate',
]);

/** Suggestions for `field`, per type (user_field also gets custom fields seen elsewhere). */
export const FIELD_SUGGESTIONS: Partial<Record<ConditionType, string[]>> = {
  user_field: ['userID', 'email', 'country', 'locale', 'appVersion', 'ip', 'userAgent'],
  ip_based: ['country'],
  ua_based: ['os_name', 'os_version', 'browser_name', 'browser_version'],
  environment_field: ['tier'],
};

/** How the value is edited: which control the builder shows. */
export type ValueKind = 'none' | 'gate' | 'gates' | 'list' | 'number' | 'date' | 'id_list' | 'scalar';

/** A scalar's JSON type for eq / neq, whose comparison is loose but not across booleans. */
export type ScalarType = 'string' | 'number' | 'boolean';

/**
 * A condition as the builder edits it: text for every value, turned into the API's JSON by
 * toApiCondition. `key` only keeps React's identity across reorders.
 */
export interface ConditionDraft {
  key: string;
  type: ConditionType;
  field: string;
  operator: string;
  /** Scalars and names as typed; lists one item per line; dates as datetime-local text. */
  value: string;
  scalarType: ScalarType;
  idType: string;
  salt: string;
}

let keyCounter = 0;
export function newKey(): string {
  keyCounter += 1;
  return `c${keyCounter}`;
}

export function valueKind(type: ConditionType, operator: string): ValueKind {
  if (type === 'public') return 'none';
  if (type === 'pass_gate' || type === 'fail_gate') return 'gate';
  if (type === 'multi_pass_gate' || type === 'multi_fail_gate') return 'gates';
  if (LIST_OPERATORS.has(operator)) return 'list';
  if (ID_LIST_OPERATORS.has(operator)) return 'id_list';
  if (DATE_OPERATORS.has(operator)) return 'date';
  if (NUMBER_OPERATORS.has(operator)) return 'number';
  return 'scalar';
}

/** The operator a type starts with, and its field. */
const DEFAULTS: Record<ConditionType, { field: string; operator: string }> = {
  public: { field: '', operator: '' },
  pass_gate: { field: '', operator: '' },
  fail_gate: { field: '', operator: '' },
  multi_pass_gate: { field: '', operator: '' },
  multi_fail_gate: { field: '', operator: '' },
  ip_based: { field: 'country', operator: 'any' },
  ua_based: { field: 'os_name', operator: 'any' },
  user_field: { field: 'email', operator: 'str_ends_with_any' },
  environment_field: { field: 'tier', operator: 'any' },
  current_time: { field: '', operator: 'after' },
  user_bucket: { field: '', operator: 'lt' },
  unit_id: { field: '', operator: 'any' },
  target_app: { field: '', operator: 'any' },
};

export function newCondition(type: ConditionType = 'user_field'): ConditionDraft {
  const defaults = DEFAULTS[type];
  return {
    key: newKey(),
    type,
    field: defaults.field,
    operator: defaults.operator,
    value: '',
    scalarType: 'string',
    idType: '',
    salt: '',
  };
}

/** Switching type keeps what still applies (a list stays a list) and resets the rest. */
export function changeType(draft: ConditionDraft, type: ConditionType): ConditionDraft {
  const fresh = newCondition(type);
  const keepValue = valueKind(type, fresh.operator) === valueKind(draft.type, draft.operator);
  return { ...fresh, key: draft.key, value: keepValue ? draft.value : '' };
}

/** Items of a list value: one per line (commas also split, as people paste "US, CA"). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function numberOrText(text: string): Json {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** datetime-local text (local time) -> epoch milliseconds, as the date operators compare. */
export function dateTextToMs(text: string): number | string {
  if (!text) return '';
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? text : ms;
}

/** Epoch milliseconds (or an ISO string) -> datetime-local text in local time. */
export function msToDateText(value: Json | undefined): string {
  if (typeof value !== 'number' && typeof value !== 'string') return '';
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The condition as the API takes it (`conditionSchema` in the server's domain/rules.ts). */
export function toApiCondition(draft: ConditionDraft): Condition {
  const { type } = draft;
  if (type === 'public') return { type };
  if (type === 'pass_gate' || type === 'fail_gate') return { type, value: draft.value.trim() };
  if (type === 'multi_pass_gate' || type === 'multi_fail_gate')
    return { type, value: splitList(draft.value) };
  const condition: Condition = { type };
  if (FIELD_TYPES.has(type)) condition.field = draft.field.trim();
  condition.operator = draft.operator;
  condition.value = toApiValue(draft);
  if ((type === 'unit_id' || type === 'user_bucket') && draft.idType.trim())
    condition.idType = draft.idType.trim();
  if (type === 'user_bucket' && draft.salt.trim()) condition.salt = draft.salt.trim();
  return condition;
}

function toApiValue(draft: ConditionDraft): Json {
  switch (valueKind(draft.type, draft.operator)) {
    case 'list': {
      const items = splitList(draft.value);
      // Buckets are numbers; the evaluator's array operators also match "2" to 2 by themselves.
      return draft.type === 'user_bucket' ? items.map(numberOrText) : items;
    }
    case 'number':
      return numberOrText(draft.value);
    case 'date':
      return dateTextToMs(draft.value);
    case 'id_list':
      return draft.value.trim();
    default:
      if (draft.scalarType === 'number') return numberOrText(draft.value);
      if (draft.scalarType === 'boolean') return draft.value.trim() === 'true';
      return draft.value;
  }
}

const isConditionType = (type: string): type is ConditionType =>
  (CONDITION_TYPES as readonly string[]).includes(type);

/** An API condition as the builder edits it. */
export function fromApiCondition(condition: Condition): ConditionDraft {
  const type = isConditionType(condition.type) ? condition.type : 'user_field';
  const operator = condition.operator ?? DEFAULTS[type].operator;
  const value = condition.value;
  let text: string;
  let scalarType: ScalarType = 'string';
  if (Array.isArray(value)) text = value.map((item) => (item === null ? '' : String(item))).join('\n');
  else if (valueKind(type, operator) === 'date') text = msToDateText(value);
  else if (value === undefined || value === null) text = '';
  else {
    text = String(value);
    if (typeof value === 'number') scalarType = 'number';
    if (typeof value === 'boolean') scalarType = 'boolean';
  }
  return {
    key: newKey(),
    type,
    field: condition.field ?? '',
    operator,
    value: text,
    scalarType,
    idType: condition.idType ?? '',
    salt: condition.salt ?? '',
  };
}

/** A short sentence for a condition, for summaries and diffs: `email ends with any of @company.com`. */
export function describeCondition(condition: Condition): string {
  const value = Array.isArray(condition.value) ? condition.value.join(', ') : String(condition.value ?? '');
  switch (condition.type) {
    case 'public':
      return 'everyone';
    case 'pass_gate':
      return `passes ${value}`;
    case 'fail_gate':
      return `fails ${value}`;
    case 'multi_pass_gate':
      return `passes any of ${value}`;
    case 'multi_fail_gate':
      return `fails any of ${value}`;
    default: {
      const subject = condition.field ?? condition.type.replace('_', ' ');
      const label =
        OPERATOR_GROUPS.flatMap((group) => group.operators).find((op) => op.value === condition.operator)
          ?.label ?? condition.operator;
      return `${subject} ${label} ${value}`;
    }
  }
}
