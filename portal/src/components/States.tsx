// Loading, empty and error states shared by every page.
import { useRef, type ReactNode } from 'react';
import { describeError, requestIdOf } from '../api/client.ts';
import { CopyButton } from './CopyButton.tsx';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** The failed request's id, copyable, so that a user can quote it to support. */
export function RequestIdNote({ error }: { error: unknown }) {
  const codeRef = useRef<HTMLElement>(null);
  const requestId = requestIdOf(error);
  if (!requestId) return null;
  return (
    <p className="request-id">
      Request ID <code ref={codeRef} data-testid="request-id">{requestId}</code>{' '}
      <CopyButton text={requestId} target={codeRef} label="Copy request ID" />
      <span className="request-id-hint">Quote it if you contact support.</span>
    </p>
  );
}

export function ErrorState({ error, message, onRetry }: { error?: unknown; message?: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>{message ?? describeError(error)}</p>
      <RequestIdNote error={error} />
      {onRetry && <button type="button" onClick={onRetry}>Try again</button>}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

/** An inline error for a form or an action, announced to screen readers. */
export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="inline-error" role="alert">
      <p>{describeError(error)}</p>
      <RequestIdNote error={error} />
    </div>
  );
}

/** The "Load more" button under a paginated list, with the error of the last attempt. */
export function LoadMore({ onClick, loading, error }: { onClick: () => void; loading: boolean; error: unknown }) {
  return (
    <div className="load-more">
      <button type="button" onClick={onClick} disabled={loading}>{loading ? 'Loading…' : 'Load more'}</button>
      <InlineError error={error} />
    </div>
  );
}
