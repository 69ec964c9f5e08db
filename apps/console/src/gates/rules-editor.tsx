import type { ConfigRule, Environment, JsonObject, Rule } from '../api/types.js';
import { Field, FieldMessage } from '../components/field-errors.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { ConditionBuilder, type ConditionSuggestions, NO_SUGGESTIONS } from './condition-builder.js';
import {
  type ConditionDraft,
  fromApiCondition,
  newCondition,
  newKey,
  toApiCondition,
} from './condition-model.js';

/** A rule as the editor holds it; `id` is kept so saving keeps its salt (users stay in). */
export interface RuleDraft {
  key: string;
  id?: string;
  name: string;
  conditions: ConditionDraft[];
  passPercentage: number;
  environments: string[] | null;
  /** Dynamic configs: the rule's JSON value as text. */
  value?: string;
}

export function fromApiRule(rule: Rule | ConfigRule): RuleDraft {
  return {
    key: newKey(),
    ...(rule.id && { id: rule.id }),
    name: rule.name,
    conditions: rule.conditions.map(fromApiCondition),
    passPercentage: rule.passPercentage,
    environments: rule.environments,
    ...('value' in rule && { value: JSON.stringify(rule.value, null, 2) }),
  };
}

export function newRule(index: number, withValue = false): RuleDraft {
  return {
    key: newKey(),
    name: `Rule ${index + 1}`,
    conditions: [newCondition()],
    passPercentage: 100,
    environments: null,
    ...(withValue && { value: '{}' }),
  };
}

/** The rule as the API takes it (`ruleInputSchema`); a config rule's value must parse first. */
export function toApiRule(draft: RuleDraft): Rule & { value?: JsonObject } {
  const rule: Rule & { value?: JsonObject } = {
    ...(draft.id && { id: draft.id }),
    name: draft.name,
    conditions: draft.conditions.map(toApiCondition),
    passPercentage: draft.passPercentage,
    environments: draft.environments,
  };
  if (draft.value !== undefined) {
    const parsed = parseJsonObject(draft.value);
    rule.value = parsed.ok ? parsed.value : {};
  }
  return rule;
}

/** Custom attribute names used in any rule, offered as field suggestions. */
export function fieldsInUse(
  rules: readonly { conditions: readonly { type: string; field?: string }[] }[],
): string[] {
  const fields = new Set<string>();
  for (const rule of rules) {
    for (const condition of rule.conditions) {
      if (condition.type === 'user_field' && condition.field) fields.add(condition.field);
    }
  }
  return [...fields].sort();
}

/**
 * Ordered rules: the first whose conditions all match decides, then its pass percentage.
 * `path` is where the rules sit in the request body (`rules`).
 */
export function RulesEditor({
  rules,
  onChange,
  environments,
  suggestions = NO_SUGGESTIONS,
  path = 'rules',
  withValue = false,
}: {
  rules: RuleDraft[];
  onChange: (rules: RuleDraft[]) => void;
  environments: Environment[];
  suggestions?: ConditionSuggestions;
  path?: string;
  withValue?: boolean;
}) {
  const update = (index: number, rule: RuleDraft) => onChange(rules.map((r, i) => (i === index ? rule : r)));
  const move = (index: number, by: number) => {
    const next = [...rules];
    const [moved] = next.splice(index, 1);
    if (moved) next.splice(index + by, 0, moved);
    onChange(next);
  };

  return (
    <div className="rules">
      <FieldMessage path={path} />
      {rules.length === 0 && (
        <p className="muted">
          No rules: nobody passes{withValue ? ' (everyone gets the default value)' : ''}.
        </p>
      )}
      {rules.map((rule, index) => (
        <RuleCard
          key={rule.key}
          rule={rule}
          index={index}
          count={rules.length}
          path={`${path}.${index}`}
          environments={environments}
          suggestions={suggestions}
          onChange={(next) => update(index, next)}
          onMove={(by) => move(index, by)}
          onRemove={() => onChange(rules.filter((_, i) => i !== index))}
        />
      ))}
      <button type="button" onClick={() => onChange([...rules, newRule(rules.length, withValue)])}>
        Add rule
      </button>
    </div>
  );
}

function RuleCard({
  rule,
  index,
  count,
  path,
  environments,
  suggestions,
  onChange,
  onMove,
  onRemove,
}: {
  rule: RuleDraft;
  index: number;
  count: number;
  path: string;
  environments: Environment[];
  suggestions: ConditionSuggestions;
  onChange: (rule: RuleDraft) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const legend = `Rule ${index + 1}`;
  const set = (changes: Partial<RuleDraft>) => onChange({ ...rule, ...changes });
  const setCondition = (conditionIndex: number, condition: ConditionDraft) =>
    set({ conditions: rule.conditions.map((c, i) => (i === conditionIndex ? condition : c)) });

  return (
    <fieldset className="rule card">
      <legend>{legend}</legend>
      <div className="rule-header">
        <Field label="Rule name" path={`${path}.name`}>
          {(props) => (
            <input {...props} value={rule.name} onChange={(event) => set({ name: event.target.value })} />
          )}
        </Field>
        <div className="rule-tools">
          <button
            type="button"
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={`Move ${legend} up`}
          >
            ↑
          </button>
          <button
            type="button"
            onClick={() => onMove(1)}
            disabled={index === count - 1}
            aria-label={`Move ${legend} down`}
          >
            ↓
          </button>
          <button type="button" className="danger-text" onClick={onRemove} aria-label={`Remove ${legend}`}>
            Remove rule
          </button>
        </div>
      </div>

      <div className="conditions">
        <p className="conditions-label">
          {rule.conditions.length > 1 ? 'Users matching all of:' : 'Users matching:'}
        </p>
        <FieldMessage path={`${path}.conditions`} />
        {rule.conditions.map((condition, conditionIndex) => (
          <ConditionBuilder
            key={condition.key}
            draft={condition}
            path={`${path}.conditions.${conditionIndex}`}
            label={`${legend} condition ${conditionIndex + 1}`}
            suggestions={suggestions}
            onChange={(next) => setCondition(conditionIndex, next)}
            onRemove={() => set({ conditions: rule.conditions.filter((_, i) => i !== conditionIndex) })}
          />
        ))}
        <button type="button" onClick={() => set({ conditions: [...rule.conditions, newCondition()] })}>
          Add condition
        </button>
      </div>

      <PassPercentage
        value={rule.passPercentage}
        path={`${path}.passPercentage`}
        onChange={(passPercentage) => set({ passPercentage })}
      />

      <EnvironmentsPicker
        value={rule.environments}
        environments={environments}
        path={`${path}.environments`}
        onChange={(value) => set({ environments: value })}
      />

      {rule.value !== undefined && (
        <JsonTextarea
          label="Value (JSON object)"
          path={`${path}.value`}
          value={rule.value}
          onChange={(value) => set({ value })}
        />
      )}
    </fieldset>
  );
}

/** A slider for the rollout, and a number box for exact values (0.1%). */
export function PassPercentage({
  value,
  onChange,
  path,
}: {
  value: number;
  onChange: (value: number) => void;
  path: string;
}) {
  return (
    <div className="pass-percentage">
      <Field label="Pass percentage" path={path}>
        {(props) => (
          <input
            {...props}
            type="range"
            min={0}
            max={100}
            step={1}
            value={value}
            aria-valuetext={`${value}%`}
            onChange={(event) => onChange(Number(event.target.value))}
          />
        )}
      </Field>
      <Field label="Exact %">
        {(props) => (
          <input
            {...props}
            type="number"
            min={0}
            max={100}
            step="any"
            className="narrow"
            value={value}
            onChange={(event) => {
              const n = Number(event.target.value);
              if (event.target.value !== '' && Number.isFinite(n)) onChange(Math.min(100, Math.max(0, n)));
            }}
          />
        )}
      </Field>
      <span className="pass-percentage-text" aria-hidden="true">
        {value}% of matching users pass
      </span>
    </div>
  );
}

function EnvironmentsPicker({
  value,
  environments,
  path,
  onChange,
}: {
  value: string[] | null;
  environments: Environment[];
  path: string;
  onChange: (value: string[] | null) => void;
}) {
  const all = value === null;
  return (
    <fieldset className="environments-picker">
      <legend>Applies in</legend>
      <label className="inline">
        <input
          type="checkbox"
          checked={all}
          onChange={(event) => onChange(event.target.checked ? null : environments.map((e) => e.name))}
        />
        All environments
      </label>
      {!all &&
        environments.map((environment) => (
          <label key={environment.name} className="inline">
            <input
              type="checkbox"
              checked={value.includes(environment.name)}
              onChange={(event) =>
                onChange(
                  event.target.checked
                    ? [...value, environment.name]
                    : value.filter((name) => name !== environment.name),
                )
              }
            />
            {environment.name}
          </label>
        ))}
      <FieldMessage path={path} />
    </fieldset>
  );
}
