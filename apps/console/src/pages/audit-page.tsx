import type { AuditEntry } from '../api/types.js';
import { useResource } from '../api/use-api.js';
import { DiffView } from '../components/diff-view.js';
import { EmptyState, Loaded } from '../components/status.js';
import { formatActor, formatDateTime, formatRelative } from '../format.js';
import { Link, setQuery, useLocation } from '../router.js';

const KINDS = [
  'gate',
  'segment',
  'dynamic_config',
  'experiment',
  'layer',
  'metric',
  'id_list',
  'environment',
  'scheduled_change',
  'webhook',
];

const PAGES: Record<string, string> = {
  gate: 'gates',
  segment: 'segments',
  dynamic_config: 'configs',
  experiment: 'experiments',
};

/** The audit log, newest first, filtered by kind and name; each entry's before/after as a diff. */
export function AuditPage() {
  const { query } = useLocation();
  const kind = query.get('kind') ?? '';
  const name = query.get('name') ?? '';
  const limit = Number(query.get('limit') ?? 100);
  const audit = useResource<{ entries: AuditEntry[] }>('/audit', { kind, name: name.trim(), limit });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <search className="filters" aria-label="Filter the audit log">
        <label>
          Kind
          <select value={kind} onChange={(e) => setQuery({ kind: e.target.value })}>
            <option value="">Every kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input
            type="search"
            value={name}
            placeholder="Exact name"
            onChange={(e) => setQuery({ name: e.target.value })}
          />
        </label>
        <label>
          Show
          <select value={limit} onChange={(e) => setQuery({ limit: e.target.value })}>
            {[50, 100, 500, 1000].map((n) => (
              <option key={n} value={n}>
                last {n}
              </option>
            ))}
          </select>
        </label>
      </search>
      <Loaded resource={audit} label="the audit log">
        {({ entries }) =>
          entries.length === 0 ? (
            <EmptyState title="No entries match" />
          ) : (
            <ol className="audit-list" aria-label="Audit entries">
              {entries.map((entry) => (
                <li key={entry.id} className="card audit-entry">
                  <p>
                    <strong title={entry.actor}>{formatActor(entry.actor)}</strong>{' '}
                    <span className="badge">{entry.action}</span> {entry.kind.replace('_', ' ')}{' '}
                    {PAGES[entry.kind] ? (
                      <Link to={`/${PAGES[entry.kind]}/${encodeURIComponent(entry.name)}`}>{entry.name}</Link>
                    ) : (
                      <code>{entry.name}</code>
                    )}
                    {entry.version !== null && <span className="muted"> v{entry.version}</span>}{' '}
                    <time
                      className="muted"
                      dateTime={new Date(entry.at).toISOString()}
                      title={formatDateTime(entry.at)}
                    >
                      {formatRelative(entry.at)}
                    </time>
                  </p>
                  {entry.reason && <p className="audit-reason">“{entry.reason}”</p>}
                  <details>
                    <summary>Show diff</summary>
                    <DiffView
                      before={entry.diff.before}
                      after={entry.diff.after}
                      label={`Diff of entry ${entry.id}`}
                    />
                  </details>
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </section>
  );
}
