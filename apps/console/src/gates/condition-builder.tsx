import { useId } from 'react';
import { Field, FieldMessage } from '../components/field-errors.js';
import {
  CONDITION_TYPE_LABELS,
  CONDITION_TYPES,
  type ConditionDraft,
  type ConditionType,
  changeType,
  FIELD_SUGGESTIONS,
  FIELD_TYPES,
  OPERATOR_GROUPS,
  type ScalarType,
  valueKind,
} from './condition-model.js';

/** Names the builder suggests: gates and segments (`segment:<name>`), ID lists, user fields. */
export interface ConditionSuggestions {
  gates: string[];
  idLists: string[];
  /** Custom user attributes seen in other rules. */
  fields: string[];
}

export const NO_SUGGESTIONS: ConditionSuggestions = { gates: [], idLists: [], fields: [] };

/**
 * One condition: its type, then the field, operator and value that type takes. `path` is the
 * condition's place in the request body (`rules.0.conditions.1`), so API errors about it show
 * next to the right control.
 */
export function ConditionBuilder({
  draft,
  onChange,
  onRemove,
  path,
  label,
  suggestions = NO_SUGGESTIONS,
}: {
  draft: ConditionDraft;
  onChange: (next: ConditionDraft) => void;
  onRemove?: () => void;
  path: string;
  /** The fieldset's accessible name, e.g. "Condition 1 of Employees". */
  label: string;
  suggestions?: ConditionSuggestions;
}) {
  const listId = useId();
  const kind = valueKind(draft.type, draft.operator);
  const set = (changes: Partial<ConditionDraft>) => onChange({ ...draft, ...changes });
  const fieldOptions =
    draft.type === 'user_field'
      ? [
          ...(FIELD_SUGGESTIONS.user_field ?? []),
          ...suggestions.fields.filter((f) => !FIELD_SUGGESTIONS.user_field?.includes(f)),
        ]
      : (FIELD_SUGGESTIONS[draft.type] ?? []);

  return (
    <fieldset className="condition" aria-label={label}>
      <legend className="visually-hidden">{label}</legend>
      <Field label="Type" path={`${path}.type`}>
        {(props) => (
          <select
            {...props}
            value={draft.type}
            onChange={(event) => onChange(changeType(draft, event.target.value as ConditionType))}
          >
            {CONDITION_TYPES.map((type) => (
              <option key={type} value={type}>
                {CONDITION_TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        )}
      </Field>

      {FIELD_TYPES.has(draft.type) && (
        <Field label="Field" path={`${path}.field`}>
          {(props) => (
            <>
              <input
                {...props}
                value={draft.field}
                list={`${listId}-fields`}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => set({ field: event.target.value })}
              />
              <datalist id={`${listId}-fields`}>
                {fieldOptions.map((field) => (
                  <option key={field} value={field} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      )}

      {kind !== 'none' && kind !== 'gate' && kind !== 'gates' && (
        <Field label="Operator" path={`${path}.operator`}>
          {(props) => (
            <select
              {...props}
              value={draft.operator}
              onChange={(event) => set({ operator: event.target.value })}
            >
              {OPERATOR_GROUPS.map((group) => (
                <optgroup key={group.label} label={group.label}>
                  {group.operators.map((operator) => (
                    <option key={operator.value} value={operator.value}>
                      {operator.label}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
      )}

      <ValueControl
        draft={draft}
        kind={kind}
        set={set}
        path={path}
        listId={listId}
        suggestions={suggestions}
      />

      {(draft.type === 'unit_id' || draft.type === 'user_bucket') && (
        <Field label="Unit type" path={`${path}.idType`} hint="Default: the gate's">
          {(props) => (
            <input
              {...props}
              value={draft.idType}
              placeholder="userID"
              onChange={(event) => set({ idType: event.target.value })}
            />
          )}
        </Field>
      )}
      {draft.type === 'user_bucket' && (
        <Field label="Salt" path={`${path}.salt`} hint="Default: the rule's">
          {(props) => (
            <input {...props} value={draft.salt} onChange={(event) => set({ salt: event.target.value })} />
          )}
        </Field>
      )}
      <FieldMessage path={`${path}`} />
      {onRemove && (
        <button
          type="button"
          className="icon-button"
          onClick={onRemove}
          aria-label={`Remove ${label.toLowerCase()}`}
        >
          Remove
        </button>
      )}
    </fieldset>
  );
}

function ValueControl({
  draft,
  kind,
  set,
  path,
  listId,
  suggestions,
}: {
  draft: ConditionDraft;
  kind: ReturnType<typeof valueKind>;
  set: (changes: Partial<ConditionDraft>) => void;
  path: string;
  listId: string;
  suggestions: ConditionSuggestions;
}) {
  const valuePath = `${path}.value`;
  switch (kind) {
    case 'none':
      return <p className="condition-note">Matches every user.</p>;
    case 'gate':
      return (
        <Field label="Gate or segment" path={valuePath} hint="Segments are segment:<name>">
          {(props) => (
            <>
              <input
                {...props}
                value={draft.value}
                list={`${listId}-gates`}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => set({ value: event.target.value })}
              />
              <datalist id={`${listId}-gates`}>
                {suggestions.gates.map((gate) => (
                  <option key={gate} value={gate} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      );
    case 'gates':
    case 'list':
      return (
        <Field
          label={kind === 'gates' ? 'Gates' : 'Values'}
          path={valuePath}
          hint="One per line"
          className="field-grow"
        >
          {(props) => (
            <textarea
              {...props}
              rows={Math.min(6, Math.max(2, draft.value.split('\n').length))}
              value={draft.value}
              spellCheck={false}
              onChange={(event) => set({ value: event.target.value })}
            />
          )}
        </Field>
      );
    case 'number':
      return (
        <Field label="Value" path={valuePath}>
          {(props) => (
            <input
              {...props}
              type="number"
              step="any"
              value={draft.value}
              onChange={(event) => set({ value: event.target.value })}
            />
          )}
        </Field>
      );
    case 'date':
      return (
        <Field label="Date and time" path={valuePath} hint="Your local time">
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              value={draft.value}
              onChange={(event) => set({ value: event.target.value })}
            />
          )}
        </Field>
      );
    case 'id_list':
      return (
        <Field label="ID list" path={valuePath}>
          {(props) => (
            <>
              <input
                {...props}
                value={draft.value}
                list={`${listId}-idlists`}
                autoComplete="off"
                onChange={(event) => set({ value: event.target.value })}
              />
              <datalist id={`${listId}-idlists`}>
                {suggestions.idLists.map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      );
    default:
      return (
        <>
          <Field label="Value" path={valuePath}>
            {(props) =>
              draft.scalarType === 'boolean' ? (
                <select
                  {...props}
                  value={draft.value === 'true' ? 'true' : 'false'}
                  onChange={(event) => set({ value: event.target.value })}
                >
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : (
                <input
                  {...props}
                  value={draft.value}
                  spellCheck={false}
                  onChange={(event) => set({ value: event.target.value })}
                />
              )
            }
          </Field>
          {(draft.operator === 'eq' || draft.operator === 'neq') && (
            <Field label="Value type">
              {(props) => (
                <select
                  {...props}
                  value={draft.scalarType}
                  onChange={(event) => set({ scalarType: event.target.value as ScalarType })}
                >
                  <option value="string">text</option>
                  <option value="number">number</option>
                  <option value="boolean">true / false</option>
                </select>
              )}
            </Field>
          )}
        </>
      );
  }
}
