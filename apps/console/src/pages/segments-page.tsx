import { useState } from 'react';
import type { Environment, IdList, Segment } from '../api/types.js';
import { useApi, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { byName, ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { QuickCreate } from '../components/quick-create.js';
import { EmptyState, Loaded } from '../components/status.js';
import { SelectField, TextField } from '../components/text-field.js';
import { formatRelative } from '../format.js';
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
            <DataTable label="Segments" columns={['Name', 'Members', 'Unit type', 'Last change']}>
              {[...list].sort(byName).map((segment) => (
                <tr key={segment.name}>
                  <NameCell
                    name={segment.name}
                    to={`/segments/${encodeURIComponent(segment.name)}`}
                    description={segment.description}
                  />
                  <td>{segment.idList ? `ID list ${segment.idList}` : `${segment.rules.length} rule(s)`}</td>
                  <td>{segment.idType}</td>
                  <ChangedCell at={segment.updatedAt} />
                </tr>
              ))}
            </DataTable>
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
  return (
    <ApiForm
      label="Segment members"
      submitLabel="Save segment"
      send={() =>
        api.patch<Segment>(
          `/segments/${encodeURIComponent(segment.name)}`,
          {
            description,
            idType,
            idList: mode === 'idList' ? idList || null : null,
            rules: rules.map(toApiRule),
          },
          segment.version,
        )
      }
      onDone={onSaved}
    >
      <div className="form-grid">
        <TextField label="Description" path="description" value={description} onChange={setDescription} />
        <TextField label="Unit type" path="idType" value={idType} onChange={setIdType} />
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
        <SelectField
          label="ID list"
          path="idList"
          hint="Upload lists on the ID lists page"
          value={idList}
          onChange={setIdList}
          options={[
            ['', 'Choose a list'],
            ...(idLists.data?.idLists ?? []).map(
              (list) => [list.name, `${list.name} (${list.entryCount} IDs)`] as const,
            ),
          ]}
        />
      ) : (
        <RulesEditor
          rules={rules}
          onChange={setRules}
          environments={environments}
          suggestions={suggestions}
        />
      )}
    </ApiForm>
  );
}
