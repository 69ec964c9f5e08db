import { type FormEvent, useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { WriteError } from '../access/request-approval.js';
import type { Environment, Gate } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { Link, navigate } from '../router.js';
import { newCondition } from './condition-model.js';
import { useConditionSuggestions } from './gate-page.js';
import { type RuleDraft, RulesEditor, toApiRule } from './rules-editor.js';

/** The first rule a new gate offers: employees by email domain, everyone else off. */
function starterRules(): RuleDraft[] {
  return [
    {
      key: 'starter',
      name: 'Employees',
      conditions: [
        { ...newCondition('user_field'), field: 'email', operator: 'str_ends_with_any', value: '' },
      ],
      passPercentage: 100,
      environments: null,
    },
  ];
}

/** Create a gate: a name, what it is for, and optionally its first rules. */
export function NewGatePage() {
  const api = useApi();
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [idType, setIdType] = useState('userID');
  const [rules, setRules] = useState<RuleDraft[]>(starterRules);
  const suggestions = useConditionSuggestions(rules);
  const write = usePermission('editor');
  const input = () => ({
    description,
    tags: tags
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
    idType: idType.trim() || 'userID',
    rules: rules.map(toApiRule),
  });
  const create = useMutation(async () => api.post<Gate>('/gates', { name: name.trim(), ...input() }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await create.run();
    if (created) navigate(`/gates/${encodeURIComponent(created.name)}`);
    else focusFirstInvalid();
  };

  return (
    <section aria-labelledby="new-gate-title">
      <p className="breadcrumbs">
        <Link to="/gates">Gates</Link> /
      </p>
      <h1 id="new-gate-title">New gate</h1>
      {!write.allowed && <p className="read-only-hint">{write.reason}</p>}
      <form onSubmit={submit} aria-label="New gate">
        <FieldErrors error={create.error}>
          <div className="form-grid">
            <Field label="Name" path="name" hint="Lower-case letters, digits, _ - . (as the SDKs check it)">
              {(props) => (
                <input
                  {...props}
                  required
                  spellCheck={false}
                  value={name}
                  placeholder="new_checkout"
                  onChange={(event) => setName(event.target.value)}
                />
              )}
            </Field>
            <Field label="Unit type" path="idType" hint="What a percentage splits: userID or a custom ID">
              {(props) => (
                <input {...props} value={idType} onChange={(event) => setIdType(event.target.value)} />
              )}
            </Field>
            <Field label="Description" path="description" className="field-wide">
              {(props) => (
                <input
                  {...props}
                  value={description}
                  onChange={(event) => setDescription(event.target.value)}
                />
              )}
            </Field>
            <Field label="Tags" path="tags" hint="Comma-separated">
              {(props) => <input {...props} value={tags} onChange={(event) => setTags(event.target.value)} />}
            </Field>
          </div>
          <h2>Rules</h2>
          <p className="muted">
            Users no rule passes get false. You can add a release plan after creating the gate.
          </p>
          <RulesEditor
            rules={rules}
            onChange={setRules}
            environments={environments.data?.environments ?? []}
            suggestions={suggestions}
          />
        </FieldErrors>
        <WriteError
          error={create.error}
          title="Gate not created"
          change={() => ({ kind: 'gates', name: name.trim(), operation: 'create', body: input() })}
        />
        <div className="button-row">
          <button
            type="submit"
            className="primary"
            disabled={create.pending || !write.allowed}
            title={write.reason}
          >
            {create.pending ? 'Creating…' : 'Create gate'}
          </button>
          <Link to="/gates" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
