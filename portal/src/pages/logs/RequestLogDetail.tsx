// One API request of the log, in a dialog: everything recorded about it, and its request id to copy.
import { useRef } from 'react';
import { usageApi } from '../../api/endpoints.ts';
import type { RequestLog } from '../../api/types.ts';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorState, Loading } from '../../components/States.tsx';
import { absoluteTime, formatDuration } from '../../lib/time.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { StatusCode } from './StatusCode.tsx';

export function RequestLogDetail({ entry, keyLabel, onClose }: { entry: RequestLog; keyLabel: string; onClose: () => void }) {
  // The list's row is shown at once; the entry is read again so that a link to it always shows what is stored.
  const detail = useAsync((signal) => usageApi.requestLog(entry.id, signal), [entry.id]);
  const requestIdRef = useRef<HTMLElement>(null);
  const e = detail.data ?? entry;
  return (
    <Dialog title={`${e.method} ${e.path.split('?')[0]}`} onClose={onClose} className="request-log-detail">
      {detail.error ? <ErrorState error={detail.error} onRetry={detail.reload} /> : detail.loading && !detail.data ? <Loading label="Loading request…" /> : null}
      <dl className="details" data-testid="request-log-detail">
        <dt>Request ID</dt>
        <dd>
          <code ref={requestIdRef} data-testid="detail-request-id">{e.request_id}</code>{' '}
          <CopyButton text={e.request_id} target={requestIdRef} label="Copy request ID" />
        </dd>
        <dt>Time</dt>
        <dd>{absoluteTime(e.created_at)}</dd>
        <dt>API key</dt>
        <dd>{keyLabel} <code className="small">{e.key_id}</code></dd>
        <dt>Request</dt>
        <dd><code className="wrap">{e.method} {e.path}</code></dd>
        <dt>Status</dt>
        <dd><StatusCode status={e.status} /></dd>
        <dt>Duration</dt>
        <dd>{formatDuration(e.duration_ms)}</dd>
        <dt>Client address</dt>
        <dd>{e.client_ip ?? <span className="muted">unknown</span>}</dd>
      </dl>
      <p className="help">Bodies, headers and credentials are never recorded; credentials in a URL show as <code>[redacted]</code>.</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}
