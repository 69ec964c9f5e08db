import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { WriteError } from '../access/request-approval.js';
import type { ApiError } from '../api/client.js';
import type { Environment, Gate, IdList, Segment } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { Link, useLeaveWarning } from '../router.js';
import type { ConditionSuggestions } from './condition-builder.js';
import { HistoryPanel } from './history-panel.js';
import { KillSwitch } from './kill-switch.js';
import { LiveExposures } from './live-exposures.js';
import { PulsePanel } from './pulse-panel.js';
import { ReleasePanel } from './release-panel.js';
import { releaseSummary } from './release-summary.js';
import { fieldsInUse, fromApiRule, type RuleDraft, RulesEditor, toApiRule } from './rules-editor.js';

export type GateTab = 'rules' | 'release' | 'pulse' | 'history';

const TABS: { tab: GateTab; label: string; suffix: string }[] = [
  { tab: 'rules', label: 'Rules', suffix: '' },
  { tab: 'release', label: 'Release', suffix: '/release' },
  { tab: 'pulse', label: 'Pulse', suffix: '/pulse' },
  { tab: 'history', label: 'History', suffix: '/history' },
];

/** A gate: header with its state and kill switch, then rules, release, Pulse and history. */
export function GatePage({ name, tab }: { name: string; tab: GateTab }) {
  const path = `/gates/${encodeURIComponent(name)}`;
  const gate = useResource<Gate>(path);
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const envs = environments.data?.environments ?? [];

  return (
    <Loaded resource={gate} label={`gate ${name}`}>
      {(data) => (
        <article aria-labelledby="gate-title">
          <p className="breadcrumbs">
            <Link to="/gates">Gates</Link> /
          </p>
          <header className="page-header gate-header">
            <div>
              <h1 id="gate-title">{data.name}</h1>
              {data.description && <p className="lead">{data.description}</p>}
              <p className="muted small">
                <span className={`badge ${data.enabled ? 'on' : 'off'}`} data-testid="gate-status">
                  {data.enabled
                    ? data.disabledIn.length
                      ? `On (off in ${data.disabledIn.join(', ')})`
                      : 'On'
                    : 'Off'}
                </span>{' '}
                version {data.version} · changed{' '}
                <time
                  dateTime={new Date(data.updatedAt).toISOString()}
                  title={formatDateTime(data.updatedAt)}
                >
                  {formatRelative(data.updatedAt)}
                </time>
                {data.releasePlan && <> · release: {releaseSummary(data.releasePlan)}</>}
              </p>
              <LiveExposures gate={data.name} environment={data.releasePlan?.environment ?? 'production'} />
            </div>
            <KillSwitch gate={data} environments={envs} onChanged={gate.setData} />
          </header>
          <nav className="tabs" aria-label="Gate sections">
            {TABS.map((item) => (
              <Link
                key={item.tab}
                to={`${path}${item.suffix}`}
                {...(item.tab === tab && { 'aria-current': 'page' as const })}
              >
                {item.label}
              </Link>
            ))}
          </nav>
          <div className="tab-panel">
            {tab === 'rules' && (
              <GateRulesForm key={data.name} gate={data} environments={envs} onSaved={gate.setData} />
            )}
            {tab === 'release' && <ReleasePanel gate={data} environments={envs} onChanged={gate.setData} />}
            {tab === 'pulse' && (
              <PulsePanel
                kind="gate"
                name={data.name}
                defaultEnvironment={data.releasePlan?.environment ?? 'production'}
                environments={envs}
                ruleNames={ruleNamesOf(data)}
              />
            )}
            {tab === 'history' && (
              <HistoryPanel
                kind="gates"
                name={data.name}
                current={data.version}
                onReverted={(g) => gate.setData(g as Gate)}
              />
            )}
          </div>
        </article>
      )}
    </Loaded>
  );
}

/** Rule id -> name, release stages included ("Release: Canary"), for Pulse's comparisons. */
export function ruleNamesOf(gate: Gate): Map<string, string> {
  const names = new Map<string, string>();
  for (const rule of gate.rules) if (rule.id) names.set(rule.id, rule.name);
  for (const stage of gate.releasePlan?.stages ?? []) names.set(stage.ruleId, `Release stage ${stage.name}`);
  return names;
}

/** Names the condition builder suggests: gates, segments as `segment:<name>`, ID lists. */
export function useConditionSuggestions(extraRules: readonly RuleDraft[] = []): ConditionSuggestions {
  const gates = useResource<{ gates: Gate[] }>('/gates');
  const segments = useResource<{ segments: Segment[] }>('/segments');
  const idLists = useResource<{ idLists: IdList[] }>('/id_lists');
  // Attributes the SDKs actually send, sampled from recent exposures (production).
  const seen = useResource<{ attributes: { field: string; source: string }[] }>('/user-attributes');
  return useMemo(
    () => ({
      gates: [
        ...(segments.data?.segments ?? []).map((segment) => `segment:${segment.name}`),
        ...(gates.data?.gates ?? []).map((gate) => gate.name),
      ],
      idLists: (idLists.data?.idLists ?? []).map((list) => list.name),
      fields: [
        ...new Set([
          ...fieldsInUse([
            ...(gates.data?.gates ?? []).flatMap((gate) => gate.rules),
            ...extraRules.map((rule) => ({
              conditions: rule.conditions.map((c) => ({ type: c.type, field: c.field })),
            })),
          ]),
          ...(seen.data?.attributes ?? [])
            .filter((attribute) => attribute.source !== 'customIDs')
            .map((attribute) => attribute.field),
        ]),
      ],
    }),
    [gates.data, segments.data, idLists.data, seen.data, extraRules],
  );
}

interface GateDraft {
  description: string;
  tags: string;
  owner: string;
  rules: RuleDraft[];
}

function draftOf(gate: Gate): GateDraft {
  return {
    description: gate.description,
    tags: gate.tags.join(', '),
    owner: gate.owner ?? '',
    rules: gate.rules.map(fromApiRule),
  };
}

function patchOf(draft: GateDraft) {
  return {
    description: draft.description,
    tags: draft.tags
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
    owner: draft.owner.trim() || null,
    rules: draft.rules.map(toApiRule),
  };
}

/**
 * The gate's rules and metadata, saved in one PATCH with `If-Match` on the version read: if
 * someone saved in between, the server answers 409 and nothing is overwritten silently.
 */
export function GateRulesForm({
  gate,
  environments,
  onSaved,
}: {
  gate: Gate;
  environments: Environment[];
  onSaved: (gate: Gate) => void;
}) {
  const api = useApi();
  const write = usePermission('editor');
  const [draft, setDraft] = useState<GateDraft>(() => draftOf(gate));
  const [base, setBase] = useState(gate);
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState<number | null>(null);
  const suggestions = useConditionSuggestions(draft.rules);
  const save = useMutation(async (version: number) =>
    api.patch<Gate>(
      `/gates/${encodeURIComponent(gate.name)}`,
      { ...patchOf(draft), ...(reason.trim() && { reason: reason.trim() }) },
      version,
    ),
  );

  // Another tab of this page (kill switch, release) changed the gate: follow its version when
  // nothing is being edited here, so the next save does not conflict with ourselves.
  const dirty = JSON.stringify(patchOf(draft)) !== JSON.stringify(patchOf(draftOf(base)));
  useLeaveWarning(`Leave without saving your changes to ${gate.name}'s rules?`, dirty);
  useEffect(() => {
    if (gate.version === base.version) return;
    if (JSON.stringify(patchOf(draftOf(gate))) === JSON.stringify(patchOf(draftOf(base)))) setBase(gate);
    else if (!dirty) {
      setBase(gate);
      setDraft(draftOf(gate));
    }
  }, [gate, base, dirty]);

  const submit = async (event: FormEvent, version = base.version) => {
    event.preventDefault();
    const updated = await save.run(version);
    if (updated) {
      setBase(updated);
      setDraft(draftOf(updated));
      setReason('');
      setSaved(updated.version);
      onSaved(updated);
    } else {
      focusFirstInvalid();
    }
  };

  const conflict = save.error?.status === 409;
  return (
    <form onSubmit={submit} className="gate-form" aria-label="Gate rules">
      {!write.allowed && (
        <p className="read-only-hint" data-testid="rules-read-only">
          {write.reason}
        </p>
      )}
      {/* A disabled fieldset disables every control in it: viewers read the rules, nothing more. */}
      <fieldset className="bare-fieldset" disabled={!write.allowed}>
        <FieldErrors error={save.error}>
          <section aria-labelledby="rules-title">
            <h2 id="rules-title">Rules</h2>
            <p className="muted">
              Rules are checked in order; the first whose conditions all match decides, then its pass
              percentage.
              {gate.releasePlan && ' The release plan adds its stages after these rules (Release tab).'}
            </p>
            <RulesEditor
              rules={draft.rules}
              onChange={(rules) => setDraft({ ...draft, rules })}
              environments={environments}
              suggestions={suggestions}
            />
          </section>
          <details className="card metadata">
            <summary>Description, tags and owner</summary>
            <Field label="Description" path="description">
              {(props) => (
                <textarea
                  {...props}
                  rows={2}
                  value={draft.description}
                  onChange={(event) => setDraft({ ...draft, description: event.target.value })}
                />
              )}
            </Field>
            <Field label="Tags" path="tags" hint="Comma-separated">
              {(props) => (
                <input
                  {...props}
                  value={draft.tags}
                  onChange={(event) => setDraft({ ...draft, tags: event.target.value })}
                />
              )}
            </Field>
            <Field label="Owner" path="owner">
              {(props) => (
                <input
                  {...props}
                  value={draft.owner}
                  onChange={(event) => setDraft({ ...draft, owner: event.target.value })}
                />
              )}
            </Field>
          </details>
          <div className="save-bar">
            <Field label="Reason for the change" path="reason" className="field-grow">
              {(props) => (
                <input
                  {...props}
                  value={reason}
                  placeholder="Optional, kept in the audit log"
                  onChange={(event) => setReason(event.target.value)}
                />
              )}
            </Field>
            <button
              type="submit"
              className="primary"
              disabled={save.pending || !dirty || !write.allowed}
              title={write.reason}
            >
              {save.pending ? 'Saving…' : 'Save rules'}
            </button>
            {dirty ? (
              <button
                type="button"
                onClick={() => {
                  setDraft(draftOf(base));
                  save.clear();
                }}
              >
                Discard changes
              </button>
            ) : (
              saved !== null && (
                <span className="success" role="status">
                  Saved as version {saved}
                </span>
              )
            )}
          </div>
          {conflict ? (
            <ConflictBanner
              error={save.error}
              onReload={async () => {
                save.clear();
                const latest = await api.get<Gate>(`/gates/${encodeURIComponent(gate.name)}`);
                setBase(latest);
                setDraft(draftOf(latest));
                onSaved(latest);
              }}
              onOverwrite={async (event) => {
                const latest = await api.get<Gate>(`/gates/${encodeURIComponent(gate.name)}`);
                setBase(latest);
                await submit(event, latest.version);
              }}
            />
          ) : (
            <WriteError
              error={save.error}
              title="Not saved"
              change={() => ({
                kind: 'gates',
                name: gate.name,
                operation: 'update',
                body: patchOf(draft),
                expectedVersion: base.version,
                ...(reason.trim() && { reason: reason.trim() }),
              })}
            />
          )}
        </FieldErrors>
      </fieldset>
    </form>
  );
}

/** A 409: someone saved in between. Nothing was overwritten; the user chooses. */
function ConflictBanner({
  error,
  onReload,
  onOverwrite,
}: {
  error: ApiError | undefined;
  onReload: () => void;
  onOverwrite: (event: FormEvent) => void;
}) {
  return (
    <div className="error-banner conflict" role="alert">
      <p>
        <strong>Someone else changed this gate since you opened it.</strong> Your edits were not saved, and
        theirs were not overwritten. <code className="error-code">{error?.code}</code> {error?.message}
      </p>
      <div className="button-row">
        <button type="button" onClick={onReload}>
          Load their version (discard my edits)
        </button>
        <button type="button" className="danger" onClick={(event) => onOverwrite(event)}>
          Save mine over theirs
        </button>
      </div>
    </div>
  );
}
