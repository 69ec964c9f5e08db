import { useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { useActorName } from '../access/use-actor-name.js';
import type { ChangeRequest, ChangeRequestDetail, ChangeRequestStatus } from '../api/access-types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { DataTable } from '../components/data-table.js';
import { DiffView } from '../components/diff-view.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { Link, setQuery, useLocation } from '../router.js';

const STATUSES: readonly (ChangeRequestStatus | 'all')[] = [
  'pending',
  'approved',
  'rejected',
  'applied',
  'all',
];

const STATUS_LABEL: Record<ChangeRequestStatus, string> = {
  pending: 'Waiting for review',
  approved: 'Approved, not applied',
  rejected: 'Rejected',
  applied: 'Applied',
};

const STATUS_BADGE: Record<ChangeRequestStatus, string> = {
  pending: 'warn',
  approved: 'status-active',
  rejected: 'off',
  applied: 'on',
};

/** Stored kinds and the console pages that show them. */
const KIND_PATH: Record<string, string> = {
  gate: 'gates',
  dynamic_config: 'configs',
  experiment: 'experiments',
  layer: 'layers',
  metric: 'metrics',
  segment: 'segments',
};

/** `update` -> "edit", `action:enable` -> "enable", `revert` -> "revert to v3". */
export function describeOperation(request: Pick<ChangeRequest, 'operation' | 'body'>): string {
  const { operation, body } = request;
  if (operation === 'update') return 'edit';
  if (operation === 'revert') return `revert to v${String(body.version)}`;
  if (operation.startsWith('action:')) return operation.slice('action:'.length).replace(/-/g, ' ');
  return operation;
}

function ObjectLink({ request }: { request: Pick<ChangeRequest, 'kind' | 'name'> }) {
  const path = KIND_PATH[request.kind];
  const label = `${request.kind.replace(/_/g, ' ')} ${request.name}`;
  return path ? <Link to={`/${path}/${encodeURIComponent(request.name)}`}>{label}</Link> : label;
}

/**
 * Changes to protected environments, waiting for (or past) a second person's review, newest
 * first; waiting ones by default.
 */
export function ChangeRequestsPage() {
  const { query } = useLocation();
  const status = (query.get('status') ?? 'pending') as ChangeRequestStatus | 'all';
  const requests = useResource<{ changeRequests: ChangeRequest[] }>(
    '/change-requests',
    status === 'all' ? {} : { status },
  );
  const actorName = useActorName();
  return (
    <section aria-labelledby="change-requests-title">
      <h1 id="change-requests-title">Change requests</h1>
      <p className="lead">
        Environments can require a second person’s approval (Environments page). Changes to them wait here:
        someone other than the requester approves or rejects, then either of them applies it.
      </p>
      <fieldset className="status-filter">
        <legend className="visually-hidden">Show</legend>
        {STATUSES.map((option) => (
          <button
            key={option}
            type="button"
            aria-pressed={status === option}
            onClick={() => setQuery({ status: option === 'pending' ? null : option })}
          >
            {option === 'all' ? 'All' : STATUS_LABEL[option]}
          </button>
        ))}
      </fieldset>
      <Loaded resource={requests} label="change requests">
        {({ changeRequests }) =>
          changeRequests.length === 0 ? (
            <EmptyState title={status === 'pending' ? 'Nothing waits for review' : 'No change requests'}>
              A change refused with “needs a second person’s approval” offers to become a request.
            </EmptyState>
          ) : (
            <DataTable
              label="Change requests"
              columns={['Request', 'Object', 'Change', 'Requested by', 'Requested', 'Status', 'Reason']}
            >
              {changeRequests.map((request) => (
                <tr key={request.id}>
                  <th scope="row">
                    <Link to={`/change-requests/${request.id}`}>#{request.id}</Link>
                  </th>
                  <td>
                    <ObjectLink request={request} />
                  </td>
                  <td>{describeOperation(request)}</td>
                  <td>{actorName(request.requestedBy)}</td>
                  <td title={formatDateTime(request.requestedAt)}>{formatRelative(request.requestedAt)}</td>
                  <td>
                    <span className={`badge ${STATUS_BADGE[request.status]}`}>
                      {STATUS_LABEL[request.status]}
                    </span>
                  </td>
                  <td>{request.reason ?? ''}</td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}

type Verb = 'approve' | 'reject' | 'apply';

const NOT_DONE: Record<Verb, string> = {
  approve: 'Not approved',
  reject: 'Not rejected',
  apply: 'Not applied',
};

/**
 * One change request: what it changes (the object now and after, as a diff), the protected
 * environments it reaches, and approve / reject / apply. The server enforces who may do which
 * (never the requester's own approval); its refusals show here as it words them.
 */
export function ChangeRequestPage({ id }: { id: number }) {
  const api = useApi();
  const path = `/change-requests/${id}`;
  const detail = useResource<ChangeRequestDetail>(path);
  const actorName = useActorName();
  const write = usePermission('editor');
  const [verb, setVerb] = useState<Verb | null>(null);
  const act = useMutation(async (which: Verb) => {
    await api.post(`${path}/${which}`, {});
    await detail.reload();
    return which;
  });

  return (
    <Loaded resource={detail} label={`change request #${id}`}>
      {(request) => {
        const mine = actorName(request.requestedBy) === 'you';
        const button = (verb: Verb, label: string, tone = '') => (
          <button
            type="button"
            className={tone}
            disabled={act.pending || !write.allowed}
            title={write.reason}
            onClick={() => {
              setVerb(verb);
              void act.run(verb);
            }}
          >
            {label}
          </button>
        );
        return (
          <article aria-labelledby="change-request-title">
            <p className="breadcrumbs">
              <Link to="/change-requests">Change requests</Link> /
            </p>
            <header className="page-header">
              <div>
                <h1 id="change-request-title">Change request #{request.id}</h1>
                <p className="lead">
                  <ObjectLink request={request} />: {describeOperation(request)}
                  {request.expectedVersion !== null && ` (made on version ${request.expectedVersion})`}
                </p>
              </div>
              <span className={`badge ${STATUS_BADGE[request.status]}`} data-testid="change-request-status">
                {STATUS_LABEL[request.status]}
              </span>
            </header>
            <dl className="facts">
              <dt>Requested by</dt>
              <dd>
                {actorName(request.requestedBy)}, {formatDateTime(request.requestedAt)}
              </dd>
              {request.reason && (
                <>
                  <dt>Reason</dt>
                  <dd>{request.reason}</dd>
                </>
              )}
              {request.reviewedBy && (
                <>
                  <dt>{request.status === 'rejected' ? 'Rejected by' : 'Approved by'}</dt>
                  <dd>
                    {actorName(request.reviewedBy)}, {formatDateTime(request.reviewedAt)}
                  </dd>
                </>
              )}
              <dt>Protected environments it changes</dt>
              <dd data-testid="change-request-environments">
                {request.preview.environments.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  request.preview.environments.map((environment) => (
                    <span key={environment} className="badge warn">
                      {environment}
                    </span>
                  ))
                )}
              </dd>
              {request.appliedVersion !== null && (
                <>
                  <dt>Applied as</dt>
                  <dd>version {request.appliedVersion}</dd>
                </>
              )}
            </dl>
            {request.preview.problem && request.status !== 'applied' && request.status !== 'rejected' && (
              <p className="warning" role="status">
                Applying it now would fail: {request.preview.problem}
              </p>
            )}
            {(request.status === 'pending' || request.status === 'approved') && (
              <div className="button-row">
                {request.status === 'pending' && (
                  <>
                    {button('approve', 'Approve', 'primary')}
                    {button('reject', 'Reject', 'danger')}
                  </>
                )}
                {request.status === 'approved' && button('apply', 'Apply now', 'primary')}
                {request.status === 'pending' && mine && (
                  <span className="muted small">You requested this: someone else has to approve it.</span>
                )}
                {!write.allowed && <span className="muted small">{write.reason}</span>}
              </div>
            )}
            <ErrorBanner error={act.error} {...(verb && { title: NOT_DONE[verb] })} />
            {request.status === 'pending' || request.status === 'approved' ? (
              <section aria-labelledby="change-request-diff-title">
                <h2 id="change-request-diff-title">What it changes</h2>
                <p className="muted small">The object as it is now, and as it would be once applied.</p>
                <DiffView
                  before={request.preview.before}
                  after={request.preview.after}
                  label="Proposed change"
                />
              </section>
            ) : (
              <section aria-labelledby="change-request-diff-title">
                <h2 id="change-request-diff-title">What was requested</h2>
                <p className="muted small">
                  {request.status === 'applied'
                    ? 'It is part of the object now: its history shows the version it made.'
                    : 'It was not applied.'}
                </p>
                <pre className="card">{JSON.stringify(request.body, null, 2)}</pre>
              </section>
            )}
          </article>
        );
      }}
    </Loaded>
  );
}
