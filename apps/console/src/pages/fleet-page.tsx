import { useState } from 'react';
import type { ChangeWithConvergence, Environment, SdkInstances } from '../api/types.js';
import { useInterval, useResource } from '../api/use-api.js';
import { EmptyState, Loaded } from '../components/status.js';
import { formatActor, formatCount, formatDateTime, formatDuration, formatRelative } from '../format.js';

const REFRESH_MS = 10_000;

/** Connected SDK instances, the revision each holds, and how fast recent changes reached them. */
export function FleetPage() {
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const [environment, setEnvironment] = useState('production');
  const instances = useResource<SdkInstances>('/sdk-instances', { environment });
  const changes = useResource<{ changes: ChangeWithConvergence[] }>('/changes', { environment, limit: 20 });
  useInterval(() => {
    void instances.reload();
    void changes.reload();
  }, REFRESH_MS);

  return (
    <section aria-labelledby="fleet-title">
      <header className="page-header">
        <h1 id="fleet-title">SDK fleet</h1>
        <label className="inline-field">
          Environment
          <select value={environment} onChange={(e) => setEnvironment(e.target.value)}>
            {(environments.data?.environments ?? [{ name: environment, createdAt: 0 }]).map((env) => (
              <option key={env.name} value={env.name}>
                {env.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      <Loaded resource={instances} label="SDK instances">
        {(data) => {
          const max = Math.max(1, ...data.byRevision.map((r) => r.instances));
          return (
            <>
              <div className="stat-row">
                <div className="stat">
                  <span className="stat-value">{data.revision}</span>current revision
                </div>
                <div className="stat">
                  <span className="stat-value">{formatCount(data.instances)}</span>instances heard from (10
                  min)
                </div>
                <div className="stat">
                  <span className="stat-value" data-testid="fleet-at-current">
                    {formatCount(data.atCurrentRevision)} / {formatCount(data.instances)}
                  </span>
                  hold the current revision
                </div>
              </div>
              {data.instances === 0 ? (
                <EmptyState title="No SDK instance has reported in this environment">
                  <p>Instances of @switchyard/node report the revision they hold after every update.</p>
                </EmptyState>
              ) : (
                <div className="form-grid">
                  <table className="table compact" aria-label="Instances per revision">
                    <thead>
                      <tr>
                        <th scope="col">Revision</th>
                        <th scope="col">Instances</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.byRevision.map((row) => (
                        <tr key={row.revision}>
                          <th scope="row">
                            {row.revision}
                            {row.revision === data.revision && <span className="tag">current</span>}
                          </th>
                          <td>
                            <span
                              className="bar"
                              style={{ width: `${(row.instances / max) * 8}rem` }}
                              aria-hidden="true"
                            />
                            {formatCount(row.instances)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <table className="table compact" aria-label="Instances per SDK">
                    <thead>
                      <tr>
                        <th scope="col">SDK</th>
                        <th scope="col">Version</th>
                        <th scope="col">Instances</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.bySdk.map((row) => (
                        <tr key={`${row.sdkType}@${row.sdkVersion}`}>
                          <th scope="row">{row.sdkType}</th>
                          <td>{row.sdkVersion}</td>
                          <td>{formatCount(row.instances)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </>
          );
        }}
      </Loaded>
      <h2>Recent changes and their convergence</h2>
      <p className="muted small">
        Time from each change until 50%, 99% and all of the instances that were connected served it.
      </p>
      <Loaded resource={changes} label="recent changes">
        {({ changes: list }) =>
          list.length === 0 ? (
            <EmptyState title="No changes yet" />
          ) : (
            <table className="table" aria-label="Recent changes">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Change</th>
                  <th scope="col">By</th>
                  <th scope="col">Revision</th>
                  <th scope="col">Reached</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                  <th scope="col">p100</th>
                </tr>
              </thead>
              <tbody>
                {list.map((change) => (
                  <tr key={change.id}>
                    <td title={formatDateTime(change.at)}>{formatRelative(change.at)}</td>
                    <td>
                      {change.action} {change.kind.replace('_', ' ')} <code>{change.name}</code>
                    </td>
                    <td>{formatActor(change.actor)}</td>
                    <td>{change.revision}</td>
                    <td>
                      {formatCount(change.convergence.reached)} / {formatCount(change.convergence.instances)}
                    </td>
                    <td>{formatDuration(change.convergence.p50Ms)}</td>
                    <td>{formatDuration(change.convergence.p99Ms)}</td>
                    <td>{formatDuration(change.convergence.p100Ms)}</td>
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
