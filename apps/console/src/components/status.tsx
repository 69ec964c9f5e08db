import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.js';

/** A polite "loading" line, announced to screen readers. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </p>
  );
}

/** What an empty list says, and usually what to do about it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

/**
 * An API error with its stable code and message (and, when it concerns fields, a pointer to
 * them: the messages themselves sit next to each field).
 */
export function ErrorBanner({
  error,
  title,
  onRetry,
  children,
}: {
  error: ApiError | undefined;
  title?: string;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  if (!error) return null;
  const fields = [...error.fieldErrors.keys()].filter(Boolean);
  return (
    <div className="error-banner" role="alert">
      <p>
        {title && <strong>{title}: </strong>}
        <code className="error-code">{error.code}</code> {error.message}
        {error.status ? <span className="muted"> (HTTP {error.status})</span> : null}
      </p>
      {fields.length > 0 && (
        <p className="muted">
          Field{fields.length > 1 ? 's' : ''}:{' '}
          {fields.map((field) => (
            <code key={field}>{field} </code>
          ))}
        </p>
      )}
      {children}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Loading, error or the page: the three states every fetched view has. */
export function Loaded<T>({
  resource,
  label,
  children,
}: {
  resource: { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void };
  label?: string;
  children: (data: T) => ReactNode;
}) {
  if (resource.loading && resource.data === undefined)
    return <Loading {...(label && { label: `Loading ${label}` })} />;
  if (resource.data === undefined) {
    return (
      <ErrorBanner
        error={resource.error}
        title={`Could not load ${label ?? 'this'}`}
        onRetry={resource.reload}
      />
    );
  }
  return (
    <>
      {resource.error && (
        <ErrorBanner error={resource.error} title="Could not refresh" onRetry={resource.reload} />
      )}
      {children(resource.data)}
    </>
  );
}
