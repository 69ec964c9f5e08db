import { useEffect, useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { needsApproval, WriteError } from '../access/request-approval.js';
import type { HistoryVersion } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DiffView } from '../components/diff-view.js';
import { Field, FieldErrors } from '../components/field-errors.js';
import { EmptyState, Loaded } from '../components/status.js';
import { formatActor, formatDateTime } from '../format.js';

/**
 * An object's versions, newest first: pick two to compare (each version against the one before
 * it by default), and revert to any earlier one in one click (it becomes a new version).
 */
export function HistoryPanel<T extends { name: string }>({
  kind,
  name,
  current,
  onReverted,
}: {
  /** The API path segment: gates, configs, segments, experiments. */
  kind: string;
  name: string;
  /** The version the page shows; the history reloads when it moves. */
  current: number;
  onReverted: (record: T & { version: number }) => void;
}) {
  const api = useApi();
  const write = usePermission('editor');
  const path = `/${kind}/${encodeURIComponent(name)}/history`;
  const history = useResource<{ versions: HistoryVersion<T>[] }>(path);
  const [selected, setSelected] = useState<number | null>(null);
  const [compareTo, setCompareTo] = useState<number | null>(null);
  const [reverting, setReverting] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const revert = useMutation(async (version: number) =>
    api.post<T & { version: number }>(`/${kind}/${encodeURIComponent(name)}/revert`, {
      version,
      ...(reason.trim() && { reason: reason.trim() }),
    }),
  );

  const reload = history.reload;
  useEffect(() => {
    void current;
    void reload();
  }, [current, reload]);

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <Loaded resource={history} label="history">
        {({ versions }) => {
          if (versions.length === 0) return <EmptyState title="No versions" />;
          const newest = versions[0] as HistoryVersion<T>;
          const shown = versions.find((v) => v.version === selected) ?? newest;
          const defaultBase = versions.find((v) => v.version < shown.version);
          const base = compareTo === null ? defaultBase : versions.find((v) => v.version === compareTo);
          return (
            <div className="history">
              <table className="table versions" aria-label="Versions">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">When</th>
                    <th scope="col">By</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {versions.map((version) => (
                    <tr
                      key={version.version}
                      className={version.version === shown.version ? 'selected' : undefined}
                    >
                      <th scope="row">
                        v{version.version}
                        {version.version === newest.version && <span className="tag">current</span>}
                      </th>
                      <td>{formatDateTime(version.createdAt)}</td>
                      <td title={version.actor}>{formatActor(version.actor)}</td>
                      <td className="button-row">
                        <button
                          type="button"
                          className="small"
                          aria-pressed={version.version === shown.version}
                          onClick={() => {
                            setSelected(version.version);
                            setCompareTo(null);
                          }}
                        >
                          Show changes in v{version.version}
                        </button>
                        {version.version !== newest.version && (
                          <button
                            type="button"
                            className="small"
                            disabled={!write.allowed}
                            title={write.reason}
                            onClick={() => {
                              revert.clear();
                              setReason('');
                              setReverting(version.version);
                            }}
                          >
                            Revert to v{version.version}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <section className="card" aria-labelledby="diff-title">
                <header className="section-header">
                  <h3 id="diff-title">
                    {base
                      ? `Changes from v${base.version} to v${shown.version}`
                      : `v${shown.version} (first version)`}
                  </h3>
                  <label className="inline-field">
                    Compare with
                    <select
                      value={base?.version ?? ''}
                      onChange={(event) =>
                        setCompareTo(event.target.value === '' ? null : Number(event.target.value))
                      }
                    >
                      <option value="">
                        {defaultBase ? `previous (v${defaultBase.version})` : 'nothing'}
                      </option>
                      {versions
                        .filter((v) => v.version !== shown.version)
                        .map((v) => (
                          <option key={v.version} value={v.version}>
                            v{v.version}
                          </option>
                        ))}
                    </select>
                  </label>
                </header>
                <DiffView
                  before={base?.data ?? null}
                  after={shown.data}
                  label={`Changes from v${base?.version ?? 0} to v${shown.version}`}
                />
              </section>
              {reverting !== null && (
                <ConfirmDialog
                  title={`Revert ${name} to v${reverting}?`}
                  confirmLabel={`Revert to v${reverting}`}
                  pending={revert.pending}
                  error={needsApproval(revert.error) ? undefined : revert.error}
                  confirmDisabled={needsApproval(revert.error)}
                  onCancel={() => setReverting(null)}
                  onConfirm={async () => {
                    const updated = await revert.run(reverting);
                    if (updated) {
                      setReverting(null);
                      setSelected(null);
                      onReverted(updated);
                    }
                  }}
                >
                  <p>
                    v{reverting} becomes current again, as a new version. Rules keep their ids and salts, so
                    users stay in the buckets they had.
                  </p>
                  <DiffView
                    before={newest.data}
                    after={versions.find((v) => v.version === reverting)?.data}
                    label="What the revert changes"
                  />
                  <FieldErrors error={revert.error}>
                    <Field label="Reason" path="reason">
                      {(props) => (
                        <input
                          {...props}
                          value={reason}
                          onChange={(event) => setReason(event.target.value)}
                        />
                      )}
                    </Field>
                  </FieldErrors>
                  {needsApproval(revert.error) && (
                    <WriteError
                      error={revert.error}
                      change={() => ({
                        kind,
                        name,
                        operation: 'revert',
                        body: { version: reverting },
                        expectedVersion: newest.version,
                        ...(reason.trim() && { reason: reason.trim() }),
                      })}
                    />
                  )}
                </ConfirmDialog>
              )}
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}
