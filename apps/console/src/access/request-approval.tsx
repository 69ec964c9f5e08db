import { useState } from 'react';
import type { ChangeRequest, ChangeRequestInput } from '../api/access-types.js';
import type { ApiError } from '../api/client.js';
import { useApi, useMutation } from '../api/use-api.js';
import { ErrorBanner } from '../components/status.js';
import { Link } from '../router.js';

export function needsApproval(error: ApiError | undefined): boolean {
  return error?.code === 'approval_required';
}

/** The environments an `approval_required` error names. */
function environmentsOf(error: ApiError): string[] {
  const environments = error.details.environments;
  return Array.isArray(environments) ? environments.map(String) : [];
}

/** `{ reason, ...rest }` without its reason: a change request keeps the reason beside the body. */
export function withoutReason(body: Record<string, unknown>): Record<string, unknown> {
  const { reason: _, ...rest } = body;
  return rest;
}

/**
 * A write's error, where `approval_required` (a protected environment) is not a dead end: it
 * offers to send the very same change (operation, body, the version it was made on) for review
 * as a change request, and links to it once made. Any other error shows as usual.
 */
export function WriteError({
  error,
  title,
  change,
}: {
  error: ApiError | undefined;
  title?: string;
  /** The change as a request: read when the button is pressed, so it is the one just refused. */
  change: () => ChangeRequestInput;
}) {
  if (!needsApproval(error)) return <ErrorBanner error={error} {...(title && { title })} />;
  // A new refusal is a new offer (the link to an earlier request does not stay on it).
  return <RequestApproval key={offerId(error as ApiError)} error={error as ApiError} change={change} />;
}

const offers = new WeakMap<ApiError, number>();
let lastOffer = 0;
function offerId(error: ApiError): number {
  let id = offers.get(error);
  if (id === undefined) {
    id = ++lastOffer;
    offers.set(error, id);
  }
  return id;
}

function RequestApproval({ error, change }: { error: ApiError; change: () => ChangeRequestInput }) {
  const api = useApi();
  const [created, setCreated] = useState<ChangeRequest | null>(null);
  const request = useMutation(async () => api.post<ChangeRequest>('/change-requests', change()));
  const environments = environmentsOf(error);
  return (
    <div className="approval-offer" role="alert">
      <p>
        <strong>
          {environments.length ? environments.join(', ') : 'This environment'}{' '}
          {environments.length > 1 ? 'need' : 'needs'} a second person’s approval for this change.
        </strong>{' '}
        Nothing was changed. Send it for review: once someone else approves it, it can be applied as it is
        now.
      </p>
      {created ? (
        <p role="status" className="success">
          Change request{' '}
          <Link to={`/change-requests/${created.id}`} data-testid="change-request-link">
            #{created.id}
          </Link>{' '}
          is waiting for review.
        </p>
      ) : (
        <button
          type="button"
          className="primary"
          disabled={request.pending}
          onClick={async () => {
            const made = await request.run();
            if (made) setCreated(made);
          }}
        >
          {request.pending ? 'Requesting…' : 'Request approval'}
        </button>
      )}
      <ErrorBanner error={request.error} title="Not requested" />
    </div>
  );
}
