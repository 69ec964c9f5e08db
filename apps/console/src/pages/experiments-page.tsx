import { type FormEvent, useState } from 'react';
import type {
  Environment,
  Experiment,
  ExperimentGroup,
  Gate,
  JsonObject,
  Layer,
  Segment,
} from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors, FieldMessage, focusFirstInvalid } from '../components/field-errors.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
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
            <table className="table" aria-label="Experiments">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Groups</th>
                  <th scope="col">Allocation</th>
                  <th scope="col">Layer</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) => b.updatedAt - a.updatedAt)
                  .map((experiment) => (
                    <tr key={experiment.name}>
                      <th scope="row">
                        <Link to={`/experiments/${encodeURIComponent(experiment.name)}`}>
                          {experiment.name}
                        </Link>
                        {experiment.hypothesis && (
                          <div className="row-description">{experiment.hypothesis}</div>
                        )}
                      </th>
                      <td>
                        <span className={`badge ${STATUS_CLASS[experiment.status]}`}>
                          {experiment.status}
                        </span>
                        {experiment.shippedGroup && (
                          <span className="small"> ({experiment.shippedGroup})</span>
                        )}
                      </td>
                      <td>{experiment.groups.map((g) => `${g.name} ${g.weight}%`).join(', ')}</td>
                      <td>{experiment.allocationPercent}%</td>
                      <td>{experiment.layer ?? '—'}</td>
                      <td title={formatDateTime(experiment.updatedAt)}>
                        {formatRelative(experiment.updatedAt)}
                      </td>
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

interface GroupDraft {
  key: number;
  id?: string;
  name: string;
  weight: string;
  parameters: string;
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
}

let groupKey = 0;
function groupDraft(group: Partial<ExperimentGroup>): GroupDraft {
  groupKey += 1;
  return {
    key: groupKey,
    ...(group.id && { id: group.id }),
    name: group.name ?? '',
    weight: String(group.weight ?? ''),
    parameters: JSON.stringify(group.parameters ?? {}, null, 2),
  };
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
  };
}

function jsonProblems(draft: ExperimentDraft): boolean {
  return (
    !parseJsonObject(draft.defaultValue).ok || draft.groups.some((g) => !parseJsonObject(g.parameters).ok)
  );
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
  const setGroup = (index: number, changes: Partial<GroupDraft>) =>
    set({ groups: draft.groups.map((g, i) => (i === index ? { ...g, ...changes } : g)) });
  const total = draft.groups.reduce((sum, g) => sum + (Number(g.weight) || 0), 0);

  return (
    <>
      <div className="form-grid">
        {isNew && (
          <Field label="Name" path="name">
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={draft.name}
                onChange={(e) => set({ name: e.target.value })}
              />
            )}
          </Field>
        )}
        <Field label="Unit type" path="idType" hint={started ? 'Fixed once started' : undefined}>
          {(props) => (
            <input
              {...props}
              disabled={started}
              value={draft.idType}
              onChange={(e) => set({ idType: e.target.value })}
            />
          )}
        </Field>
        <Field label="Allocation %" path="allocationPercent" hint="Share of users in the experiment at all">
          {(props) => (
            <input
              {...props}
              type="number"
              min={0}
              max={100}
              step="any"
              value={draft.allocationPercent}
              onChange={(e) => set({ allocationPercent: e.target.value })}
            />
          )}
        </Field>
        <Field label="Targeting gate" path="targetingGate" hint="Only users passing it enter (optional)">
          {(props) => (
            <>
              <input
                {...props}
                list="experiment-gates"
                value={draft.targetingGate}
                onChange={(e) => set({ targetingGate: e.target.value })}
              />
              <datalist id="experiment-gates">
                {(segments.data?.segments ?? []).map((s) => (
                  <option key={s.name} value={`segment:${s.name}`} />
                ))}
                {(gates.data?.gates ?? []).map((g) => (
                  <option key={g.name} value={g.name} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field
          label="Layer"
          path="layer"
          hint={started ? 'Fixed once started' : 'Experiments in one layer never share a user'}
        >
          {(props) => (
            <select
              {...props}
              disabled={started}
              value={draft.layer}
              onChange={(e) => set({ layer: e.target.value })}
            >
              <option value="">No layer</option>
              {(layers.data?.layers ?? []).map((layer) => (
                <option key={layer.name} value={layer.name}>
                  {layer.name}
                </option>
              ))}
            </select>
          )}
        </Field>
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
        <Field label="Description" path="description" className="field-wide">
          {(props) => (
            <input
              {...props}
              value={draft.description}
              onChange={(e) => set({ description: e.target.value })}
            />
          )}
        </Field>
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
            <Field label="Group name" path={`groups.${index}.name`}>
              {(props) => (
                <input
                  {...props}
                  value={group.name}
                  onChange={(e) => setGroup(index, { name: e.target.value })}
                />
              )}
            </Field>
            <Field label="Weight %" path={`groups.${index}.weight`}>
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={0}
                  max={100}
                  step="any"
                  disabled={started}
                  value={group.weight}
                  onChange={(e) => setGroup(index, { weight: e.target.value })}
                />
              )}
            </Field>
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
    </>
  );
}

export function NewExperimentPage() {
  const api = useApi();
  const [draft, setDraft] = useState(() => draftOf());
  const create = useMutation(async () => api.post<Experiment>('/experiments', bodyOf(draft, true)));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await create.run();
    if (created) navigate(`/experiments/${encodeURIComponent(created.name)}`);
    else focusFirstInvalid();
  };
  return (
    <section aria-labelledby="new-experiment-title">
      <p className="breadcrumbs">
        <Link to="/experiments">Experiments</Link> /
      </p>
      <h1 id="new-experiment-title">New experiment</h1>
      <form onSubmit={submit} aria-label="New experiment">
        <FieldErrors error={create.error}>
          <ExperimentForm draft={draft} setDraft={setDraft} isNew started={false} />
        </FieldErrors>
        <ErrorBanner error={create.error} title="Experiment not created" />
        <div className="button-row">
          <button type="submit" className="primary" disabled={create.pending || jsonProblems(draft)}>
            Create experiment
          </button>
          <Link to="/experiments" className="button">
            Cancel
          </Link>
        </div>
      </form>
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
  const save = useMutation(async () =>
    api.patch<Experiment>(
      `/experiments/${encodeURIComponent(experiment.name)}`,
      bodyOf(draft, false),
      experiment.version,
    ),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const updated = await save.run();
    if (updated) onSaved(updated);
    else focusFirstInvalid();
  };
  return (
    <details className="card" open={experiment.status === 'draft'}>
      <summary>
        <strong>Settings</strong>
      </summary>
      <form onSubmit={submit} aria-label="Experiment settings">
        <FieldErrors error={save.error}>
          <ExperimentForm
            draft={draft}
            setDraft={setDraft}
            isNew={false}
            started={experiment.status !== 'draft'}
          />
        </FieldErrors>
        <ErrorBanner error={save.error} title="Not saved" />
        <div className="button-row">
          <button type="submit" className="primary" disabled={save.pending || jsonProblems(draft)}>
            Save experiment
          </button>
        </div>
      </form>
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
