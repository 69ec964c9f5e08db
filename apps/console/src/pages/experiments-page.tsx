import { useState } from 'react';
import type {
  Environment,
  Experiment,
  ExperimentGroup,
  ExperimentOverride,
  Gate,
  JsonObject,
  Layer,
  Segment,
} from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { byNewest, ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { Field, FieldErrors, FieldMessage } from '../components/field-errors.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { EmptyState, Loaded } from '../components/status.js';
import { SelectField, TextField } from '../components/text-field.js';
import { formatDateTime } from '../format.js';
import { HistoryPanel } from '../gates/history-panel.js';
import { PulsePanel } from '../gates/pulse-panel.js';
import { Link, navigate } from '../router.js';

const STATUS_CLASS: Record<Experiment['status'], string> = {
  draft: '',
  running: 'status-active',
  stopped: 'status-paused',
  shipped: 'status-completed',
};

export function ExperimentsPage() {
  const experiments = useResource<{ experiments: Experiment[] }>('/experiments');
  return (
    <section aria-labelledby="experiments-title">
      <header className="page-header">
        <h1 id="experiments-title">Experiments</h1>
        <Link to="/experiments/new" className="button primary">
          New experiment
        </Link>
      </header>
      <Loaded resource={experiments} label="experiments">
        {({ experiments: list }) =>
          list.length === 0 ? (
            <EmptyState title="No experiments yet">
              <p>
                An experiment splits users into groups with different parameters and measures the difference.{' '}
                <Link to="/experiments/new">Create one</Link>.
              </p>
            </EmptyState>
          ) : (
            <DataTable
              label="Experiments"
              columns={['Name', 'Status', 'Groups', 'Allocation', 'Layer', 'Last change']}
            >
              {[...list].sort(byNewest).map((experiment) => (
                <tr key={experiment.name}>
                  <NameCell
                    name={experiment.name}
                    to={`/experiments/${encodeURIComponent(experiment.name)}`}
                    description={experiment.hypothesis}
                  />
                  <td>
                    <span className={`badge ${STATUS_CLASS[experiment.status]}`}>{experiment.status}</span>
                    {experiment.shippedGroup && <span className="small"> ({experiment.shippedGroup})</span>}
                  </td>
                  <td>{experiment.groups.map((g) => `${g.name} ${g.weight}%`).join(', ')}</td>
                  <td>{experiment.allocationPercent}%</td>
                  <td>{experiment.layer ?? '—'}</td>
                  <ChangedCell at={experiment.updatedAt} />
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}

interface GroupDraft {
  key: number;
  id?: string;
  name: string;
  weight: string;
  parameters: string;
}

interface OverrideDraft {
  key: number;
  group: string;
  /** As typed: one ID a line, or comma-separated. */
  ids: string;
  /** Empty: the experiment's unit type. */
  idType: string;
}

interface ExperimentDraft {
  name: string;
  description: string;
  hypothesis: string;
  idType: string;
  groups: GroupDraft[];
  allocationPercent: string;
  targetingGate: string;
  layer: string;
  defaultValue: string;
  overrides: OverrideDraft[];
}

let draftKey = 0;
function groupDraft(group: Partial<ExperimentGroup>): GroupDraft {
  draftKey += 1;
  return {
    key: draftKey,
    ...(group.id && { id: group.id }),
    name: group.name ?? '',
    weight: String(group.weight ?? ''),
    parameters: JSON.stringify(group.parameters ?? {}, null, 2),
  };
}

function overrideDraft(override: Partial<ExperimentOverride>): OverrideDraft {
  draftKey += 1;
  return {
    key: draftKey,
    group: override.group ?? '',
    ids: (override.ids ?? []).join('\n'),
    idType: override.idType ?? '',
  };
}

/** "u1, u2\nu3" -> ["u1", "u2", "u3"]: IDs are split on commas and line breaks only (they may hold spaces). */
export function parseIds(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((id) => id.trim())
    .filter(Boolean);
}

function draftOf(experiment?: Experiment): ExperimentDraft {
  return {
    name: experiment?.name ?? '',
    description: experiment?.description ?? '',
    hypothesis: experiment?.hypothesis ?? '',
    idType: experiment?.idType ?? 'userID',
    groups: (
      experiment?.groups ?? [
        { name: 'Control', weight: 50, parameters: {} },
        { name: 'Test', weight: 50, parameters: {} },
      ]
    ).map(groupDraft),
    allocationPercent: String(experiment?.allocationPercent ?? 100),
    targetingGate: experiment?.targetingGate ?? '',
    layer: experiment?.layer ?? '',
    defaultValue: JSON.stringify(experiment?.defaultValue ?? {}, null, 2),
    overrides: (experiment?.overrides ?? []).map(overrideDraft),
  };
}

const toNumber = (text: string): number | string =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;

/** The body for POST (with a name) or PATCH; JSON fields must parse first. */
function bodyOf(draft: ExperimentDraft, withName: boolean) {
  const json = (text: string): JsonObject => {
    const parsed = parseJsonObject(text);
    return parsed.ok ? parsed.value : {};
  };
  return {
    ...(withName && { name: draft.name.trim() }),
    description: draft.description,
    hypothesis: draft.hypothesis,
    idType: draft.idType.trim() || 'userID',
    groups: draft.groups.map((group) => ({
      ...(group.id && { id: group.id }),
      name: group.name,
      weight: toNumber(group.weight),
      parameters: json(group.parameters),
    })),
    allocationPercent: toNumber(draft.allocationPercent),
    targetingGate: draft.targetingGate.trim() || null,
    layer: draft.layer || null,
    defaultValue: json(draft.defaultValue),
    overrides: draft.overrides.map((override) => ({
      group: override.group,
      ids: parseIds(override.ids),
      ...(override.idType.trim() && { idType: override.idType.trim() }),
    })),
  };
}

function jsonProblem(draft: ExperimentDraft): string | undefined {
  const invalid =
    !parseJsonObject(draft.defaultValue).ok || draft.groups.some((g) => !parseJsonObject(g.parameters).ok);
  return invalid ? 'Fix the JSON before saving.' : undefined;
}

function ExperimentForm({
  draft,
  setDraft,
  isNew,
  started,
}: {
  draft: ExperimentDraft;
  setDraft: (draft: ExperimentDraft) => void;
  isNew: boolean;
  started: boolean;
}) {
  const layers = useResource<{ layers: Layer[] }>('/layers');
  const gates = useResource<{ gates: Gate[] }>('/gates');
  const segments = useResource<{ segments: Segment[] }>('/segments');
  const set = (changes: Partial<ExperimentDraft>) => setDraft({ ...draft, ...changes });
  const setGroup = (index: number, changes: Partial<GroupDraft>) => {
    const before = draft.groups[index]?.name;
    set({
      groups: draft.groups.map((g, i) => (i === index ? { ...g, ...changes } : g)),
      // Overrides name their group: a renamed group keeps its overrides.
      ...(changes.name !== undefined && {
        overrides: draft.overrides.map((o) => (o.group === before ? { ...o, group: changes.name ?? '' } : o)),
      }),
    });
  };
  const total = draft.groups.reduce((sum, g) => sum + (Number(g.weight) || 0), 0);

  return (
    <>
      <div className="form-grid">
        {isNew && (
          <TextField
            label="Name"
            path="name"
            required
            spellCheck={false}
            value={draft.name}
            onChange={(name) => set({ name })}
          />
        )}
        <TextField
          label="Unit type"
          path="idType"
          hint={started ? 'Fixed once started' : undefined}
          disabled={started}
          value={draft.idType}
          onChange={(idType) => set({ idType })}
        />
        <TextField
          label="Allocation %"
          path="allocationPercent"
          hint="Share of users in the experiment at all"
          type="number"
          min={0}
          max={100}
          step="any"
          value={draft.allocationPercent}
          onChange={(allocationPercent) => set({ allocationPercent })}
        />
        <TextField
          label="Targeting gate"
          path="targetingGate"
          hint="Only users passing it enter (optional)"
          list="experiment-gates"
          value={draft.targetingGate}
          onChange={(targetingGate) => set({ targetingGate })}
        />
        <datalist id="experiment-gates">
          {(segments.data?.segments ?? []).map((s) => (
            <option key={s.name} value={`segment:${s.name}`} />
          ))}
          {(gates.data?.gates ?? []).map((g) => (
            <option key={g.name} value={g.name} />
          ))}
        </datalist>
        <SelectField
          label="Layer"
          path="layer"
          hint={started ? 'Fixed once started' : 'Experiments in one layer never share a user'}
          disabled={started}
          value={draft.layer}
          onChange={(layer) => set({ layer })}
          options={[
            ['', 'No layer'],
            ...(layers.data?.layers ?? []).map((layer) => [layer.name, layer.name] as const),
          ]}
        />
        <Field label="Hypothesis" path="hypothesis" className="field-wide">
          {(props) => (
            <textarea
              {...props}
              rows={2}
              value={draft.hypothesis}
              onChange={(e) => set({ hypothesis: e.target.value })}
            />
          )}
        </Field>
        <TextField
          label="Description"
          path="description"
          className="field-wide"
          value={draft.description}
          onChange={(description) => set({ description })}
        />
      </div>
      <h2>Groups</h2>
      <p className={total === 100 ? 'muted' : 'warning'}>
        Weights add up to {total}%{total === 100 ? '.' : ': they must add up to 100.'}
        {started &&
          ' Groups and weights are fixed once the experiment starts; names and parameters may change.'}
      </p>
      <FieldMessage path="groups" />
      {draft.groups.map((group, index) => (
        <fieldset key={group.key} className="card group-editor">
          <legend>Group {index + 1}</legend>
          <div className="form-grid">
            <TextField
              label="Group name"
              path={`groups.${index}.name`}
              value={group.name}
              onChange={(name) => setGroup(index, { name })}
            />
            <TextField
              label="Weight %"
              path={`groups.${index}.weight`}
              type="number"
              min={0}
              max={100}
              step="any"
              disabled={started}
              value={group.weight}
              onChange={(weight) => setGroup(index, { weight })}
            />
          </div>
          <JsonTextarea
            label="Parameters (JSON object)"
            path={`groups.${index}.parameters`}
            value={group.parameters}
            onChange={(parameters) => setGroup(index, { parameters })}
          />
          {!started && draft.groups.length > 1 && (
            <button
              type="button"
              className="icon-button"
              onClick={() => set({ groups: draft.groups.filter((_, i) => i !== index) })}
            >
              Remove group {index + 1}
            </button>
          )}
        </fieldset>
      ))}
      {!started && (
        <button
          type="button"
          onClick={() =>
            set({
              groups: [...draft.groups, groupDraft({ name: `Group ${draft.groups.length + 1}`, weight: 0 })],
            })
          }
        >
          Add group
        </button>
      )}
      <JsonTextarea
        label="Default value (users outside the experiment)"
        path="defaultValue"
        value={draft.defaultValue}
        onChange={(defaultValue) => set({ defaultValue })}
      />
      <OverridesEditor
        overrides={draft.overrides}
        groups={draft.groups.map((group) => group.name)}
        idType={draft.idType.trim() || 'userID'}
        onChange={(overrides) => set({ overrides })}
      />
    </>
  );
}

/** ID overrides: lists of units that always get one group, whatever the split says. */
function OverridesEditor({
  overrides,
  groups,
  idType,
  onChange,
}: {
  overrides: OverrideDraft[];
  groups: string[];
  idType: string;
  onChange: (overrides: OverrideDraft[]) => void;
}) {
  const setOverride = (index: number, changes: Partial<OverrideDraft>) =>
    onChange(overrides.map((o, i) => (i === index ? { ...o, ...changes } : o)));
  return (
    <section aria-labelledby="overrides-title">
      <h2 id="overrides-title">ID overrides</h2>
      <p className="muted">
        These IDs always get the chosen group, before allocation and targeting, while the experiment is a
        draft or running: for example the people testing each variant.
      </p>
      <FieldMessage path="overrides" exact />
      {overrides.map((override, index) => {
        const count = parseIds(override.ids).length;
        // A group renamed or removed since: kept in the list so the choice stays visible.
        const names = groups.includes(override.group) ? groups : [override.group, ...groups];
        return (
          <fieldset key={override.key} className="card">
            <legend>Override {index + 1}</legend>
            <div className="form-grid">
              <SelectField
                label="Group"
                path={`overrides.${index}.group`}
                value={override.group}
                onChange={(group) => setOverride(index, { group })}
                options={names.map((name) => [name, name || 'Choose a group'] as const)}
              />
              <TextField
                label="Unit type"
                path={`overrides.${index}.idType`}
                hint={`Empty: the experiment's (${idType})`}
                placeholder={idType}
                spellCheck={false}
                value={override.idType}
                onChange={(value) => setOverride(index, { idType: value })}
              />
            </div>
            <Field
              label="IDs"
              path={`overrides.${index}.ids`}
              hint={`One a line, or comma-separated · ${count} ID${count === 1 ? '' : 's'}`}
            >
              {(props) => (
                <textarea
                  {...props}
                  className="code"
                  rows={Math.min(8, Math.max(3, override.ids.split('\n').length + 1))}
                  spellCheck={false}
                  value={override.ids}
                  onChange={(e) => setOverride(index, { ids: e.target.value })}
                />
              )}
            </Field>
            <button
              type="button"
              className="icon-button"
              onClick={() => onChange(overrides.filter((_, i) => i !== index))}
            >
              Remove override {index + 1}
            </button>
          </fieldset>
        );
      })}
      <button
        type="button"
        onClick={() => onChange([...overrides, overrideDraft({ group: groups[0] ?? '' })])}
      >
        Add override
      </button>
    </section>
  );
}

export function NewExperimentPage() {
  const api = useApi();
  const [draft, setDraft] = useState(() => draftOf());
  return (
    <section aria-labelledby="new-experiment-title">
      <p className="breadcrumbs">
        <Link to="/experiments">Experiments</Link> /
      </p>
      <h1 id="new-experiment-title">New experiment</h1>
      <ApiForm
        label="New experiment"
        bar="button-row"
        submitLabel="Create experiment"
        pendingLabel="Creating…"
        errorTitle="Experiment not created"
        blocked={jsonProblem(draft)}
        send={() => api.post<Experiment>('/experiments', bodyOf(draft, true))}
        onDone={(created) => navigate(`/experiments/${encodeURIComponent(created.name)}`)}
        actions={
          <Link to="/experiments" className="button">
            Cancel
          </Link>
        }
      >
        <ExperimentForm draft={draft} setDraft={setDraft} isNew started={false} />
      </ApiForm>
    </section>
  );
}

type ExperimentAction = 'start' | 'stop' | 'ship';

export function ExperimentPage({ name }: { name: string }) {
  const path = `/experiments/${encodeURIComponent(name)}`;
  const experiment = useResource<Experiment>(path);
  const environments = useResource<{ environments: Environment[] }>('/environments');
  return (
    <Loaded resource={experiment} label={`experiment ${name}`}>
      {(data) => (
        <article aria-labelledby="experiment-title">
          <p className="breadcrumbs">
            <Link to="/experiments">Experiments</Link> /
          </p>
          <header className="page-header">
            <div>
              <h1 id="experiment-title">{data.name}</h1>
              {data.hypothesis && <p className="lead">{data.hypothesis}</p>}
              <p className="muted small">
                <span className={`badge ${STATUS_CLASS[data.status]}`} data-testid="experiment-status">
                  {data.status}
                </span>{' '}
                version {data.version}
                {data.startedAt && ` · started ${formatDateTime(data.startedAt)}`}
                {data.endedAt && ` · ended ${formatDateTime(data.endedAt)}`}
                {data.shippedGroup && ` · shipped ${data.shippedGroup}`}
              </p>
            </div>
            <ExperimentActions experiment={data} onChanged={experiment.setData} />
          </header>
          {(data.status === 'draft' || data.status === 'running') && (
            <ExperimentEditor key={data.version} experiment={data} onSaved={experiment.setData} />
          )}
          {data.status !== 'draft' && (
            <PulsePanel
              kind="experiment"
              name={data.name}
              defaultEnvironment="production"
              environments={environments.data?.environments ?? []}
            />
          )}
          <HistoryPanel
            kind="experiments"
            name={data.name}
            current={data.version}
            onReverted={(e) => experiment.setData(e as Experiment)}
          />
        </article>
      )}
    </Loaded>
  );
}

function ExperimentEditor({
  experiment,
  onSaved,
}: {
  experiment: Experiment;
  onSaved: (e: Experiment) => void;
}) {
  const api = useApi();
  const [draft, setDraft] = useState(() => draftOf(experiment));
  return (
    <details className="card" open={experiment.status === 'draft'}>
      <summary>
        <strong>Settings</strong>
      </summary>
      <ApiForm
        label="Experiment settings"
        bar="button-row"
        submitLabel="Save experiment"
        blocked={jsonProblem(draft)}
        send={() =>
          api.patch<Experiment>(
            `/experiments/${encodeURIComponent(experiment.name)}`,
            bodyOf(draft, false),
            experiment.version,
          )
        }
        onDone={onSaved}
      >
        <ExperimentForm
          draft={draft}
          setDraft={setDraft}
          isNew={false}
          started={experiment.status !== 'draft'}
        />
      </ApiForm>
    </details>
  );
}

function ExperimentActions({
  experiment,
  onChanged,
}: {
  experiment: Experiment;
  onChanged: (e: Experiment) => void;
}) {
  const api = useApi();
  const [action, setAction] = useState<ExperimentAction | null>(null);
  const [group, setGroup] = useState(experiment.groups[experiment.groups.length - 1]?.name ?? '');
  const [reason, setReason] = useState('');
  const mutation = useMutation(async (which: ExperimentAction) =>
    api.post<Experiment>(`/experiments/${encodeURIComponent(experiment.name)}/${which}`, {
      ...(which === 'ship' && { group }),
      ...(reason.trim() && { reason: reason.trim() }),
    }),
  );
  const open = (which: ExperimentAction) => {
    mutation.clear();
    setReason('');
    setAction(which);
  };
  return (
    <div className="button-row">
      {experiment.status === 'draft' && (
        <button type="button" className="primary" onClick={() => open('start')}>
          Start experiment
        </button>
      )}
      {experiment.status === 'running' && (
        <button type="button" className="danger" onClick={() => open('stop')}>
          Stop experiment
        </button>
      )}
      {(experiment.status === 'running' || experiment.status === 'stopped') && (
        <button type="button" onClick={() => open('ship')}>
          Ship a group
        </button>
      )}
      {action && (
        <ConfirmDialog
          title={
            action === 'start'
              ? `Start ${experiment.name}?`
              : action === 'stop'
                ? `Stop ${experiment.name}?`
                : `Ship a group of ${experiment.name}?`
          }
          confirmLabel={action === 'start' ? 'Start' : action === 'stop' ? 'Stop' : `Ship ${group}`}
          tone={action === 'stop' ? 'danger' : 'primary'}
          pending={mutation.pending}
          error={mutation.error}
          onCancel={() => setAction(null)}
          onConfirm={async () => {
            const updated = await mutation.run(action);
            if (updated) {
              setAction(null);
              onChanged(updated);
            }
          }}
        >
          <FieldErrors error={mutation.error}>
            {action === 'start' && (
              <p>Users are allocated and split into groups from now on; groups and weights become fixed.</p>
            )}
            {action === 'stop' && <p>Everyone gets the default value again; the results stay.</p>}
            {action === 'ship' && (
              <Field label="Group to ship" path="group" hint="Everyone gets its parameters">
                {(props) => (
                  <select {...props} value={group} onChange={(e) => setGroup(e.target.value)}>
                    {experiment.groups.map((g) => (
                      <option key={g.name} value={g.name}>
                        {g.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            <Field label="Reason" path="reason">
              {(props) => <input {...props} value={reason} onChange={(e) => setReason(e.target.value)} />}
            </Field>
          </FieldErrors>
        </ConfirmDialog>
      )}
    </div>
  );
}
