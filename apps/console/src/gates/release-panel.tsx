import { type FormEvent, useEffect, useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { needsApproval, WriteError, withoutReason } from '../access/request-approval.js';
import type {
  Environment,
  Gate,
  GateRelease,
  GuardrailCheck,
  Metric,
  ReleasePlan,
  ScheduledChange,
  Segment,
} from '../api/types.js';
import { useApi, useInterval, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors, FieldMessage, focusFirstInvalid } from '../components/field-errors.js';
import { ErrorBanner, Loaded } from '../components/status.js';
import { formatActor, formatCount, formatDateTime, formatDuration, formatRelative } from '../format.js';
import { RELEASE_STATUS_LABEL, stageLabel } from './release-summary.js';

const REFRESH_MS = 10_000;

/**
 * A gate's release: where it stands (stage, status, the guardrail monitor's recent looks),
 * the buttons that move it (advance, roll back, pause, resume), changes scheduled for later,
 * and the plan itself (create or replace).
 */
export function ReleasePanel({
  gate,
  environments,
  onChanged,
}: {
  gate: Gate;
  environments: Environment[];
  onChanged: (gate: Gate) => void;
}) {
  const release = useResource<GateRelease>(`/gates/${encodeURIComponent(gate.name)}/release`, { checks: 20 });
  useInterval(() => void release.reload(), REFRESH_MS);
  const [editing, setEditing] = useState(false);
  const write = usePermission('editor');
  const reloadRelease = release.reload;
  useEffect(() => {
    void gate.version;
    void reloadRelease();
  }, [gate.version, reloadRelease]);

  const changed = (updated: Gate) => {
    onChanged(updated);
    void release.reload();
  };

  const plan = gate.releasePlan;
  return (
    <div className="release">
      {plan ? (
        <ReleaseProgress gate={gate} plan={plan} environments={environments} onChanged={changed} />
      ) : (
        !editing && (
          <section className="card">
            <h2>No release plan</h2>
            <p>
              A release plan takes the gate from a first audience (e.g. employees) through growing percentages
              of everyone else, watching guardrail metrics at each stage and rolling back on a regression.
            </p>
            <button
              type="button"
              className="primary"
              disabled={!write.allowed}
              title={write.reason}
              onClick={() => setEditing(true)}
            >
              Create a release plan
            </button>
          </section>
        )
      )}
      {plan && !editing && (
        <p>
          <button
            type="button"
            disabled={!write.allowed}
            title={write.reason}
            onClick={() => setEditing(true)}
          >
            Replace the plan
          </button>
        </p>
      )}
      {editing && (
        <ReleasePlanEditor
          gate={gate}
          environments={environments}
          onCancel={() => setEditing(false)}
          onSaved={(g) => {
            setEditing(false);
            changed(g);
          }}
        />
      )}
      <Loaded resource={release} label="the release">
        {(data) => (
          <>
            {plan && <MonitorLooks checks={data.checks} plan={plan} />}
            <ScheduledChanges gate={gate} pending={data.scheduled} onChanged={() => void release.reload()} />
          </>
        )}
      </Loaded>
    </div>
  );
}

type ReleaseAction = 'advance' | 'rollback' | 'pause' | 'resume';

function ReleaseProgress({
  gate,
  plan,
  environments,
  onChanged,
}: {
  gate: Gate;
  plan: ReleasePlan;
  environments: Environment[];
  onChanged: (gate: Gate) => void;
}) {
  const api = useApi();
  const [action, setAction] = useState<ReleaseAction | null>(null);
  const [reason, setReason] = useState('');
  const [rollbackAction, setRollbackAction] = useState<'kill' | 'previous_stage'>(plan.onRegression);
  const [rollbackScope, setRollbackScope] = useState<string[] | null>(null);
  const [resumeStage, setResumeStage] = useState(plan.current);
  const write = usePermission('editor');
  /** The gate action a button makes, and its body. */
  const requestOf = (which: ReleaseAction): { action: string; body: Record<string, unknown> } => {
    const withReason = reason.trim() ? { reason: reason.trim() } : {};
    switch (which) {
      case 'advance':
        return { action: 'advance', body: withReason };
      case 'rollback':
        return {
          action: 'rollback',
          body: {
            ...withReason,
            action: rollbackAction,
            ...(rollbackScope && { environments: rollbackScope }),
          },
        };
      case 'pause':
        return { action: 'pause-release', body: withReason };
      case 'resume':
        return { action: 'resume-release', body: { ...withReason, stage: resumeStage } };
    }
  };
  const mutation = useMutation(async (which: ReleaseAction) => {
    const { action: name, body } = requestOf(which);
    return api.post<Gate>(`/gates/${encodeURIComponent(gate.name)}/${name}`, body);
  });
  const open = (which: ReleaseAction) => {
    mutation.clear();
    setReason('');
    setRollbackAction(plan.current > 0 ? plan.onRegression : 'kill');
    setRollbackScope(null);
    setResumeStage(plan.current);
    setAction(which);
  };
  const confirm = async () => {
    if (!action) return;
    const updated = await mutation.run(action);
    if (updated) {
      setAction(null);
      onChanged(updated);
    }
  };

  const stage = plan.stages[plan.current];
  const next = plan.stages[plan.current + 1];
  const moving = plan.status === 'active' || plan.status === 'paused';
  const inStageMs = Date.now() - plan.stageStartedAt;

  return (
    <section className="card" aria-labelledby="release-title">
      <header className="section-header">
        <h2 id="release-title">Release</h2>
        <span className={`badge status-${plan.status}`} data-testid="release-status">
          {RELEASE_STATUS_LABEL[plan.status]}
        </span>
      </header>
      <ol className="stages" aria-label="Stages">
        {plan.stages.map((s, index) => (
          <li
            key={s.ruleId}
            className={index < plan.current ? 'done' : index === plan.current ? 'current' : 'todo'}
            {...(index === plan.current && { 'aria-current': 'step' as const })}
          >
            <span className="stage-name">{s.name}</span>
            <span className="stage-audience">
              {s.segment !== null ? `segment ${s.segment}` : `${s.percentage}%`}
            </span>
            <span className="stage-gates small muted">
              {[
                s.minDurationMinutes ? `≥ ${formatDuration(s.minDurationMinutes * 60_000)}` : '',
                s.minUnits ? `≥ ${formatCount(s.minUnits)} units` : '',
                s.guardrails.length ? `guardrails: ${s.guardrails.join(', ')}` : '',
              ]
                .filter(Boolean)
                .join(' · ')}
            </span>
          </li>
        ))}
      </ol>
      {stage && (
        <p>
          Serving <strong>{stageLabel(stage)}</strong> in every environment (guardrails measured in{' '}
          <strong>{plan.environment}</strong>) since {formatDateTime(plan.stageStartedAt)} (
          {formatDuration(inStageMs)}
          {stage.minDurationMinutes > 0 &&
            ` of at least ${formatDuration(stage.minDurationMinutes * 60_000)}`}
          ). {plan.autoAdvance ? 'Advances by itself when the stage allows.' : 'Advanced by hand.'} On a
          regression: {plan.onRegression === 'kill' ? 'turn the gate off' : 'go back one stage'}.
        </p>
      )}
      {!gate.enabled && (
        <p className="warning">
          The gate is off (kill switch): nobody gets the release until it is turned back on or resumed.
        </p>
      )}
      {plan.lastRollback && (
        <div className="rollback-note">
          <strong>
            Rolled back {formatRelative(plan.lastRollback.at)} from stage {plan.lastRollback.fromStage + 1} (
            {plan.lastRollback.action === 'kill' ? 'kill switch' : 'previous stage'})
          </strong>
          <EvidenceText evidence={plan.lastRollback.evidence} />
        </div>
      )}
      <div className="button-row">
        <button
          type="button"
          className="primary"
          disabled={!moving || !next || !write.allowed}
          title={write.reason}
          onClick={() => open('advance')}
        >
          {next ? `Advance to ${next.name}` : 'Advance'}
        </button>
        <button
          type="button"
          className="danger"
          disabled={plan.status === 'rolled_back' || !write.allowed}
          title={write.reason}
          onClick={() => open('rollback')}
        >
          Roll back
        </button>
        {plan.status === 'active' ? (
          <button type="button" disabled={!write.allowed} title={write.reason} onClick={() => open('pause')}>
            Pause
          </button>
        ) : (
          <button type="button" disabled={!write.allowed} title={write.reason} onClick={() => open('resume')}>
            Resume
          </button>
        )}
      </div>
      {action && (
        <ConfirmDialog
          title={
            action === 'advance'
              ? `Advance to ${next?.name ?? 'the next stage'}?`
              : action === 'rollback'
                ? `Roll back ${gate.name}?`
                : action === 'pause'
                  ? 'Pause the release?'
                  : 'Resume the release?'
          }
          confirmLabel={
            action === 'advance'
              ? 'Advance'
              : action === 'rollback'
                ? 'Roll back'
                : action === 'pause'
                  ? 'Pause'
                  : 'Resume'
          }
          tone={action === 'rollback' ? 'danger' : 'primary'}
          pending={mutation.pending}
          error={needsApproval(mutation.error) ? undefined : mutation.error}
          confirmDisabled={needsApproval(mutation.error)}
          onCancel={() => setAction(null)}
          onConfirm={confirm}
        >
          <FieldErrors error={mutation.error}>
            {action === 'advance' && next && (
              <p>
                {stageLabel(next)} starts now{next.percentage !== null && ': everyone already in stays in'}.
              </p>
            )}
            {action === 'pause' && (
              <p>The current stage keeps being served; it will not advance by itself.</p>
            )}
            {action === 'rollback' && (
              <>
                <fieldset>
                  <legend>What to do</legend>
                  <label className="inline">
                    <input
                      type="radio"
                      name="rollback-action"
                      checked={rollbackAction === 'kill'}
                      onChange={() => setRollbackAction('kill')}
                    />
                    Turn the gate off (kill switch)
                  </label>
                  <label className="inline">
                    <input
                      type="radio"
                      name="rollback-action"
                      disabled={plan.current === 0}
                      checked={rollbackAction === 'previous_stage'}
                      onChange={() => setRollbackAction('previous_stage')}
                    />
                    Go back to the previous stage
                  </label>
                  <FieldMessage path="action" />
                </fieldset>
                {rollbackAction === 'kill' && environments.length > 1 && (
                  <fieldset>
                    <legend>Where</legend>
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={rollbackScope === null}
                        onChange={(event) => setRollbackScope(event.target.checked ? null : [])}
                      />
                      Every environment
                    </label>
                    {rollbackScope !== null &&
                      environments.map((env) => (
                        <label key={env.name} className="inline">
                          <input
                            type="checkbox"
                            checked={rollbackScope.includes(env.name)}
                            onChange={(event) =>
                              setRollbackScope(
                                event.target.checked
                                  ? [...rollbackScope, env.name]
                                  : rollbackScope.filter((n) => n !== env.name),
                              )
                            }
                          />
                          {env.name}
                        </label>
                      ))}
                    <FieldMessage path="environments" />
                  </fieldset>
                )}
              </>
            )}
            {action === 'resume' && (
              <Field label="Resume at stage" path="stage" hint="Turns the gate back on everywhere">
                {(props) => (
                  <select
                    {...props}
                    value={resumeStage}
                    onChange={(event) => setResumeStage(Number(event.target.value))}
                  >
                    {plan.stages.map((s, index) => (
                      <option key={s.ruleId} value={index}>
                        {index + 1}. {stageLabel(s)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            <Field label="Reason" path="reason" hint="Kept in the audit log">
              {(props) => (
                <input {...props} value={reason} onChange={(event) => setReason(event.target.value)} />
              )}
            </Field>
          </FieldErrors>
          {needsApproval(mutation.error) && (
            <WriteError
              error={mutation.error}
              change={() => {
                const { action: name, body } = requestOf(action);
                return {
                  kind: 'gates',
                  name: gate.name,
                  operation: `action:${name}`,
                  body: withoutReason(body),
                  expectedVersion: gate.version,
                  ...(reason.trim() && { reason: reason.trim() }),
                };
              }}
            />
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** The `reasons` the monitor wrote, or the evidence as JSON. */
function EvidenceText({ evidence }: { evidence: unknown }) {
  const reasons = (evidence as { reasons?: unknown } | null)?.reasons;
  if (Array.isArray(reasons) && reasons.length > 0) {
    return (
      <ul className="reasons">
        {reasons.map((reason) => (
          <li key={String(reason)}>{String(reason)}</li>
        ))}
      </ul>
    );
  }
  if (evidence === null || evidence === undefined) return null;
  return (
    <details>
      <summary>Evidence</summary>
      <pre>{JSON.stringify(evidence, null, 2)}</pre>
    </details>
  );
}

function MonitorLooks({ checks, plan }: { checks: GuardrailCheck[]; plan: ReleasePlan }) {
  const stageName = (id: string) => plan.stages.find((s) => s.ruleId === id)?.name ?? id;
  return (
    <section className="card" aria-labelledby="looks-title">
      <h2 id="looks-title">Guardrail monitor: recent looks</h2>
      {checks.length === 0 ? (
        <p className="muted">No looks yet: the monitor looks at the current stage every minute.</p>
      ) : (
        <table className="table compact" aria-label="Guardrail monitor looks">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Stage</th>
              <th scope="col">Outcome</th>
              <th scope="col">Units (canary / control)</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((check) => {
              const evidence = check.evidence as {
                units?: { canary?: number; control?: number };
                reasons?: string[];
              } | null;
              const [verb] = check.outcome.split(':');
              return (
                <tr key={check.id}>
                  <td title={formatDateTime(check.at)}>{formatRelative(check.at)}</td>
                  <td>{stageName(check.stageId)}</td>
                  <td>
                    <span className={`badge outcome-${verb}`}>
                      {check.outcome.replace(':', ': ').replace(/_/g, ' ')}
                    </span>
                  </td>
                  <td>
                    {evidence?.units
                      ? `${formatCount(evidence.units.canary)} / ${formatCount(evidence.units.control)}`
                      : '—'}
                  </td>
                  <td className="small">{evidence?.reasons?.join('; ') ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

const SCHEDULABLE = [
  { value: 'advance', label: 'Advance to the next stage' },
  { value: 'pause-release', label: 'Pause the release' },
  { value: 'resume-release', label: 'Resume the release' },
  { value: 'rollback', label: 'Roll back' },
  { value: 'disable', label: 'Turn off (kill switch)' },
  { value: 'enable', label: 'Turn on' },
];

/** datetime-local text for an hour from now, the default of a new scheduled change. */
function inAnHour(): string {
  const date = new Date(Date.now() + 3_600_000);
  date.setSeconds(0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function ScheduledChanges({
  gate,
  pending,
  onChanged,
}: {
  gate: Gate;
  pending: ScheduledChange[];
  onChanged: () => void;
}) {
  const api = useApi();
  const write = usePermission('editor');
  const [action, setAction] = useState('advance');
  const [at, setAt] = useState(inAnHour);
  const [reason, setReason] = useState('');
  const past = useResource<{ changes: ScheduledChange[] }>('/scheduled-changes', {
    kind: 'gate',
    name: gate.name,
    limit: 20,
  });
  const schedule = useMutation(async () =>
    api.post<ScheduledChange>('/scheduled-changes', {
      kind: 'gate',
      name: gate.name,
      action,
      at: new Date(at).toISOString(),
      ...(reason.trim() && { reason: reason.trim() }),
    }),
  );
  const cancel = useMutation(async (id: number) => api.delete<ScheduledChange>(`/scheduled-changes/${id}`));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await schedule.run()) {
      setReason('');
      onChanged();
      void past.reload();
    } else focusFirstInvalid();
  };
  const done = (past.data?.changes ?? []).filter((change) => change.status !== 'pending');

  return (
    <section className="card" aria-labelledby="scheduled-title">
      <h2 id="scheduled-title">Scheduled changes</h2>
      {pending.length === 0 ? (
        <p className="muted">Nothing scheduled.</p>
      ) : (
        <table className="table compact" aria-label="Pending scheduled changes">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
              <th scope="col">
                <span className="visually-hidden">Cancel</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((change) => (
              <tr key={change.id}>
                <td>
                  {formatDateTime(change.runAt)}{' '}
                  <span className="muted small">({formatRelative(change.runAt)})</span>
                </td>
                <td>{change.action}</td>
                <td>{formatActor(change.createdBy)}</td>
                <td>{change.reason ?? ''}</td>
                <td>
                  <button
                    type="button"
                    className="small"
                    disabled={cancel.pending || !write.allowed}
                    title={write.reason}
                    onClick={async () => {
                      if (await cancel.run(change.id)) {
                        onChanged();
                        void past.reload();
                      }
                    }}
                  >
                    Cancel scheduled {change.action}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBanner error={cancel.error} title="Not cancelled" />
      <form onSubmit={submit} className="inline-form" aria-label="Schedule a change">
        <FieldErrors error={schedule.error}>
          <Field label="Action" path="action">
            {(props) => (
              <select {...props} value={action} onChange={(event) => setAction(event.target.value)}>
                {SCHEDULABLE.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="At" path="at" hint="Your local time">
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                required
                value={at}
                onChange={(event) => setAt(event.target.value)}
              />
            )}
          </Field>
          <Field label="Reason" path="reason" className="field-grow">
            {(props) => (
              <input {...props} value={reason} onChange={(event) => setReason(event.target.value)} />
            )}
          </Field>
          <button type="submit" disabled={schedule.pending || !write.allowed} title={write.reason}>
            Schedule
          </button>
        </FieldErrors>
      </form>
      <ErrorBanner error={schedule.error} title="Not scheduled" />
      {done.length > 0 && (
        <details>
          <summary>Past scheduled changes ({done.length})</summary>
          <table className="table compact" aria-label="Past scheduled changes">
            <thead>
              <tr>
                <th scope="col">Ran at</th>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {done.map((change) => (
                <tr key={change.id}>
                  <td>{formatDateTime(change.firedAt ?? change.runAt)}</td>
                  <td>{change.action}</td>
                  <td>{change.status}</td>
                  <td className="small">{change.outcome ? JSON.stringify(change.outcome) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}

interface StageDraft {
  key: number;
  name: string;
  audience: 'segment' | 'percentage';
  segment: string;
  percentage: string;
  minDurationMinutes: string;
  minUnits: string;
  guardrails: string[];
}

let stageKey = 0;
function stageDraft(partial: Partial<StageDraft>): StageDraft {
  stageKey += 1;
  return {
    key: stageKey,
    name: '',
    audience: 'percentage',
    segment: '',
    percentage: '',
    minDurationMinutes: '0',
    minUnits: '0',
    guardrails: [],
    ...partial,
  };
}

/** The plan the editor starts from: employees, a 5% canary, a quarter, everyone. */
export function defaultStages(guardrails: string[], employeesSegment: string): StageDraft[] {
  return [
    stageDraft({ name: 'Employees', audience: 'segment', segment: employeesSegment }),
    stageDraft({ name: 'Canary', percentage: '5', minDurationMinutes: '60', minUnits: '2000', guardrails }),
    stageDraft({ name: 'Quarter', percentage: '25', minDurationMinutes: '240', guardrails }),
    stageDraft({ name: 'Everyone', percentage: '100' }),
  ];
}

function numberOrRaw(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** The stage as the API takes it (`stageInputSchema`); bad numbers go as typed for the API to name. */
export function toStageInput(draft: StageDraft) {
  return {
    name: draft.name,
    ...(draft.audience === 'segment'
      ? { segment: draft.segment }
      : { percentage: numberOrRaw(draft.percentage) }),
    minDurationMinutes: numberOrRaw(draft.minDurationMinutes || '0'),
    minUnits: numberOrRaw(draft.minUnits || '0'),
    guardrails: draft.audience === 'segment' ? [] : draft.guardrails,
  };
}

function ReleasePlanEditor({
  gate,
  environments,
  onCancel,
  onSaved,
}: {
  gate: Gate;
  environments: Environment[];
  onCancel: () => void;
  onSaved: (gate: Gate) => void;
}) {
  const api = useApi();
  const metrics = useResource<{ metrics: Metric[] }>('/metrics');
  const segments = useResource<{ segments: Segment[] }>('/segments');
  const guardrailMetrics = (metrics.data?.metrics ?? []).filter((m) => m.guardrail).map((m) => m.name);
  const existing = gate.releasePlan;
  const [stages, setStages] = useState<StageDraft[] | null>(() =>
    existing
      ? existing.stages.map((s) =>
          stageDraft({
            name: s.name,
            audience: s.segment !== null ? 'segment' : 'percentage',
            segment: s.segment ?? '',
            percentage: String(s.percentage ?? ''),
            minDurationMinutes: String(s.minDurationMinutes),
            minUnits: String(s.minUnits),
            guardrails: s.guardrails,
          }),
        )
      : null,
  );
  const [environment, setEnvironment] = useState(existing?.environment ?? 'production');
  const [autoAdvance, setAutoAdvance] = useState(existing?.autoAdvance ?? false);
  const [onRegression, setOnRegression] = useState(existing?.onRegression ?? 'kill');
  const [reason, setReason] = useState('');

  // A new plan starts from the usual shape once the catalogue is known.
  useEffect(() => {
    if (stages !== null || !metrics.data || !segments.data) return;
    const names = segments.data.segments.map((s) => s.name);
    const employees = names.find((n) => /employ|staff|internal|dogfood/.test(n)) ?? names[0] ?? '';
    setStages(defaultStages(guardrailMetrics, employees));
  }, [stages, metrics.data, segments.data, guardrailMetrics]);

  const planInput = () => ({
    stages: (stages ?? []).map(toStageInput),
    environment,
    autoAdvance,
    onRegression,
  });
  const save = useMutation(async () =>
    api.patch<Gate>(
      `/gates/${encodeURIComponent(gate.name)}`,
      { releasePlan: planInput(), ...(reason.trim() && { reason: reason.trim() }) },
      gate.version,
    ),
  );
  const remove = useMutation(async () =>
    api.patch<Gate>(`/gates/${encodeURIComponent(gate.name)}`, { releasePlan: null }, gate.version),
  );
  const [confirmRemove, setConfirmRemove] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const updated = await save.run();
    if (updated) onSaved(updated);
    else focusFirstInvalid();
  };

  if (stages === null) return <p className="muted">Loading metrics and segments…</p>;
  const setStage = (index: number, changes: Partial<StageDraft>) =>
    setStages(stages.map((s, i) => (i === index ? { ...s, ...changes } : s)));

  return (
    <form className="card plan-editor" onSubmit={submit} aria-labelledby="plan-editor-title">
      <h2 id="plan-editor-title">{existing ? 'Replace the release plan' : 'New release plan'}</h2>
      {existing && (
        <p className="warning">
          A replaced plan starts again at its first stage. Users keep their buckets (the plan's salt is kept).
        </p>
      )}
      <FieldErrors error={save.error}>
        <FieldMessage path="releasePlan" />
        <FieldMessage path="releasePlan.stages" />
        <ol className="stage-editor-list">
          {stages.map((stage, index) => {
            const path = `releasePlan.stages.${index}`;
            return (
              <li key={stage.key}>
                <fieldset className="stage-editor">
                  <legend>Stage {index + 1}</legend>
                  <Field label="Stage name" path={`${path}.name`}>
                    {(props) => (
                      <input
                        {...props}
                        value={stage.name}
                        onChange={(e) => setStage(index, { name: e.target.value })}
                      />
                    )}
                  </Field>
                  <Field label="Audience" path={`${path}.audience`}>
                    {(props) => (
                      <select
                        {...props}
                        value={stage.audience}
                        onChange={(e) =>
                          setStage(index, { audience: e.target.value as StageDraft['audience'] })
                        }
                      >
                        <option value="segment">A segment</option>
                        <option value="percentage">A percentage of everyone</option>
                      </select>
                    )}
                  </Field>
                  {stage.audience === 'segment' ? (
                    <Field label="Segment" path={`${path}.segment`}>
                      {(props) => (
                        <select
                          {...props}
                          value={stage.segment}
                          onChange={(e) => setStage(index, { segment: e.target.value })}
                        >
                          <option value="">Choose a segment</option>
                          {(segments.data?.segments ?? []).map((s) => (
                            <option key={s.name} value={s.name}>
                              {s.name}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                  ) : (
                    <Field label="Percentage" path={`${path}.percentage`}>
                      {(props) => (
                        <input
                          {...props}
                          type="number"
                          min={0}
                          max={100}
                          step="any"
                          className="narrow"
                          value={stage.percentage}
                          onChange={(e) => setStage(index, { percentage: e.target.value })}
                        />
                      )}
                    </Field>
                  )}
                  <Field label="Minimum minutes" path={`${path}.minDurationMinutes`}>
                    {(props) => (
                      <input
                        {...props}
                        type="number"
                        min={0}
                        className="narrow"
                        value={stage.minDurationMinutes}
                        onChange={(e) => setStage(index, { minDurationMinutes: e.target.value })}
                      />
                    )}
                  </Field>
                  <Field label="Minimum units" path={`${path}.minUnits`}>
                    {(props) => (
                      <input
                        {...props}
                        type="number"
                        min={0}
                        className="narrow"
                        value={stage.minUnits}
                        onChange={(e) => setStage(index, { minUnits: e.target.value })}
                      />
                    )}
                  </Field>
                  {stage.audience === 'percentage' && (
                    <fieldset className="guardrails">
                      <legend>Guardrails</legend>
                      {guardrailMetrics.length === 0 && (
                        <span className="muted small">
                          No metric is flagged as a guardrail (Metrics page).
                        </span>
                      )}
                      {guardrailMetrics.map((metric) => (
                        <label key={metric} className="inline">
                          <input
                            type="checkbox"
                            checked={stage.guardrails.includes(metric)}
                            onChange={(e) =>
                              setStage(index, {
                                guardrails: e.target.checked
                                  ? [...stage.guardrails, metric]
                                  : stage.guardrails.filter((g) => g !== metric),
                              })
                            }
                          />
                          {metric}
                        </label>
                      ))}
                      <FieldMessage path={`${path}.guardrails`} />
                    </fieldset>
                  )}
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={`Remove stage ${index + 1}`}
                    onClick={() => setStages(stages.filter((_, i) => i !== index))}
                  >
                    Remove
                  </button>
                </fieldset>
              </li>
            );
          })}
        </ol>
        <button
          type="button"
          onClick={() =>
            setStages([
              ...stages,
              stageDraft({ name: `Stage ${stages.length + 1}`, guardrails: guardrailMetrics }),
            ])
          }
        >
          Add stage
        </button>
        <div className="form-grid">
          <Field label="Measured in environment" path="releasePlan.environment">
            {(props) => (
              <select {...props} value={environment} onChange={(e) => setEnvironment(e.target.value)}>
                {(environments.length ? environments.map((e) => e.name) : [environment]).map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="On a guardrail regression" path="releasePlan.onRegression">
            {(props) => (
              <select
                {...props}
                value={onRegression}
                onChange={(e) => setOnRegression(e.target.value as 'kill' | 'previous_stage')}
              >
                <option value="kill">Turn the gate off</option>
                <option value="previous_stage">Go back one stage</option>
              </select>
            )}
          </Field>
          <label className="inline checkbox-field">
            <input type="checkbox" checked={autoAdvance} onChange={(e) => setAutoAdvance(e.target.checked)} />
            Advance by itself when a stage's duration, units and guardrails allow
          </label>
          <Field label="Reason" path="reason">
            {(props) => <input {...props} value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
        </div>
      </FieldErrors>
      <WriteError
        error={save.error}
        title="Plan not saved"
        change={() => ({
          kind: 'gates',
          name: gate.name,
          operation: 'update',
          body: { releasePlan: planInput() },
          expectedVersion: gate.version,
          ...(reason.trim() && { reason: reason.trim() }),
        })}
      />
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.pending}>
          {save.pending ? 'Saving…' : 'Save release plan'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        {existing && (
          <button type="button" className="danger-text" onClick={() => setConfirmRemove(true)}>
            Remove the plan
          </button>
        )}
      </div>
      {confirmRemove && (
        <ConfirmDialog
          title="Remove the release plan?"
          confirmLabel="Remove plan"
          tone="danger"
          pending={remove.pending}
          error={needsApproval(remove.error) ? undefined : remove.error}
          confirmDisabled={needsApproval(remove.error)}
          onCancel={() => setConfirmRemove(false)}
          onConfirm={async () => {
            const updated = await remove.run();
            if (updated) {
              setConfirmRemove(false);
              onSaved(updated);
            }
          }}
        >
          <p>The plan's stages stop being served: only the gate's own rules decide.</p>
          {needsApproval(remove.error) && (
            <WriteError
              error={remove.error}
              change={() => ({
                kind: 'gates',
                name: gate.name,
                operation: 'update',
                body: { releasePlan: null },
                expectedVersion: gate.version,
              })}
            />
          )}
        </ConfirmDialog>
      )}
    </form>
  );
}
