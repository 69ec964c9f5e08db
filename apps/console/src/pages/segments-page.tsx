import { type FormEvent, useState } from 'react';
import type { Environment, IdList, Segment } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { QuickCreate } from '../components/quick-create.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { useConditionSuggestions } from '../gates/gate-page.js';
import { HistoryPanel } from '../gates/history-panel.js';
import { fromApiRule, type RuleDraft, RulesEditor, toApiRule } from '../gates/rules-editor.js';
import { Link } from '../router.js';

export function SegmentsPage() {
  const segments = useResource<{ segments: Segment[] }>('/segments');
  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">Segments</h1>
      <p className="muted">
        Reusable audiences (employees, beta testers). Rules target them with <code>segment:&lt;name&gt;</code>
        ; release plans start with one.
      </p>
      <QuickCreate collection="segments" label="segment" />
      <Loaded resource={segments} label="segments">
        {({ segments: list }) =>
          list.length === 0 ? (
            <EmptyState title="No segments yet" />
          ) : (
            <table className="table" aria-label="Segments">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Members</th>
                  <th scope="col">Unit type</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) => a.name.localeCompare(b.name))
                  .map((segment) => (
                    <tr key={segment.name}>
                      <th scope="row">
                        <Link to={`/segments/${encodeURIComponent(segment.name)}`}>{segment.name}</Link>
                        {segment.description && <div className="row-description">{segment.description}</div>}
                      </th>
                      <td>
                        {segment.idList ? `ID list ${segment.idList}` : `${segment.rules.length} rule(s)`}
                      </td>
                      <td>{segment.idType}</td>
                      <td title={formatDateTime(segment.updatedAt)}>{formatRelative(segment.updatedAt)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}

export function SegmentPage({ name }: { name: string }) {
  const segment = useResource<Segment>(`/segments/${encodeURIComponent(name)}`);
  const environments = useResource<{ environments: Environment[] }>('/environments');
  return (
    <Loaded resource={segment} label={`segment ${name}`}>
      {(data) => (
        <article aria-labelledby="segment-title">
          <p className="breadcrumbs">
            <Link to="/segments">Segments</Link> /
          </p>
          <h1 id="segment-title">{data.name}</h1>
          <p className="muted small">
            Target it with <code>segment:{data.name}</code> · version {data.version} · changed{' '}
            {formatRelative(data.updatedAt)}
          </p>
          <SegmentEditor
            key={data.version}
            segment={data}
            environments={environments.data?.environments ?? []}
            onSaved={segment.setData}
          />
          <HistoryPanel
            kind="segments"
            name={data.name}
            current={data.version}
            onReverted={(s) => segment.setData(s as Segment)}
          />
        </article>
      )}
    </Loaded>
  );
}

function SegmentEditor({
  segment,
  environments,
  onSaved,
}: {
  segment: Segment;
  environments: Environment[];
  onSaved: (s: Segment) => void;
}) {
  const api = useApi();
  const idLists = useResource<{ idLists: IdList[] }>('/id_lists');
  const [mode, setMode] = useState<'rules' | 'idList'>(segment.idList ? 'idList' : 'rules');
  const [idList, setIdList] = useState(segment.idList ?? '');
  const [idType, setIdType] = useState(segment.idType);
  const [description, setDescription] = useState(segment.description);
  const [rules, setRules] = useState<RuleDraft[]>(() => segment.rules.map(fromApiRule));
  const suggestions = useConditionSuggestions(rules);
  const save = useMutation(async () =>
    api.patch<Segment>(
      `/segments/${encodeURIComponent(segment.name)}`,
      {
        description,
        idType,
        idList: mode === 'idList' ? idList || null : null,
        rules: rules.map(toApiRule),
      },
      segment.version,
    ),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const updated = await save.run();
    if (updated) onSaved(updated);
    else focusFirstInvalid();
  };
  return (
    <form onSubmit={submit} aria-label="Segment members">
      <FieldErrors error={save.error}>
        <div className="form-grid">
          <Field label="Description" path="description">
            {(props) => (
              <input {...props} value={description} onChange={(e) => setDescription(e.target.value)} />
            )}
          </Field>
          <Field label="Unit type" path="idType">
            {(props) => <input {...props} value={idType} onChange={(e) => setIdType(e.target.value)} />}
          </Field>
        </div>
        <fieldset>
          <legend>Members</legend>
          <label className="inline">
            <input
              type="radio"
              name="segment-mode"
              checked={mode === 'rules'}
              onChange={() => setMode('rules')}
            />
            Users matching rules
          </label>
          <label className="inline">
            <input
              type="radio"
              name="segment-mode"
              checked={mode === 'idList'}
              onChange={() => setMode('idList')}
            />
            The IDs in an ID list
          </label>
        </fieldset>
        {mode === 'idList' ? (
          <Field label="ID list" path="idList" hint="Upload lists on the ID lists page">
            {(props) => (
              <select {...props} value={idList} onChange={(e) => setIdList(e.target.value)}>
                <option value="">Choose a list</option>
                {(idLists.data?.idLists ?? []).map((list) => (
                  <option key={list.name} value={list.name}>
                    {list.name} ({list.entryCount} IDs)
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <RulesEditor
            rules={rules}
            onChange={setRules}
            environments={environments}
            suggestions={suggestions}
          />
        )}
      </FieldErrors>
      <ErrorBanner error={save.error} title="Not saved" />
      <div className="save-bar">
        <button type="submit" className="primary" disabled={save.pending}>
          {save.pending ? 'Saving…' : 'Save segment'}
        </button>
      </div>
    </form>
  );
}
