// One delivery: payload, every attempt, and Redeliver.
import { useEffect, useRef, useState } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import type { Attempt } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { ErrorState, InlineError, Loading } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { usePolling } from '../../lib/usePolling.ts';
import { AttemptView } from './AttemptView.tsx';
import { lastResponse } from './DeliveriesLog.tsx';

interface Props {
  deliveryId: string;
  tick: number;
  canWrite: boolean;
  onChanged: () => void;
  onClose: () => void;
}

export function DeliveryDetail({ deliveryId, tick, canWrite, onChanged, onClose }: Props) {
  const detail = useAsync((signal) => webhooksApi.delivery(deliveryId, signal), [deliveryId, tick]);
  const [redelivering, setRedelivering] = useState(false);
  const [queued, setQueued] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const d = detail.data?.id === deliveryId ? detail.data : undefined;
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Opening a delivery (from the log) moves focus and the viewport to it.
  useEffect(() => {
    setQueued(false);
    headingRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    headingRef.current?.focus({ preventScroll: true });
  }, [deliveryId]);
  usePolling(d?.status === 'pending' || d?.status === 'delivering', onChanged);

  async function redeliver() {
    setRedelivering(true);
    setError(null);
    try {
      await webhooksApi.redeliver(deliveryId);
      setQueued(true);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setRedelivering(false);
    }
  }

  const attempts: Attempt[] = d ? [...d.attempts].sort((a, b) => a.attempt_number - b.attempt_number) : [];

  return (
    <section className="card delivery-detail" aria-labelledby="delivery-detail-title" data-testid="delivery-detail">
      <div className="section-header">
        <h2 id="delivery-detail-title" ref={headingRef} tabIndex={-1}>Delivery {deliveryId}</h2>
        <div className="toolbar">
          <button type="button" className="primary" onClick={redeliver} disabled={!canWrite || redelivering || !d} title={canWrite ? undefined : READ_ONLY_REASON}>
            {redelivering ? 'Redelivering…' : 'Redeliver'}
          </button>
          <button type="button" onClick={onClose} aria-label="Close delivery details">Close</button>
        </div>
      </div>
      {detail.error ? (
        <ErrorState error={detail.error} onRetry={detail.reload} />
      ) : !d ? (
        <Loading label="Loading delivery…" />
      ) : (
        <>
          {queued && d.status === 'pending' && <p className="notice" role="status">Redelivery queued. This page updates when it completes.</p>}
          <InlineError error={error} />
          <dl className="facts">
            <dt>Event</dt>
            <dd><code>{d.event_type}</code> <span className="muted small">{d.event_id}</span>{d.is_test && <span className="badge badge-info">test</span>}</dd>
            <dt>Status</dt>
            <dd data-testid="delivery-status"><StatusBadge status={d.status} /></dd>
            <dt>Last response</dt>
            <dd>{lastResponse(d)}</dd>
            <dt>Created</dt>
            <dd><RelativeTime iso={d.created_at} /></dd>
            {d.delivered_at && (<><dt>Delivered</dt><dd><RelativeTime iso={d.delivered_at} /></dd></>)}
            {d.status === 'pending' && d.next_attempt_at && (<><dt>Next retry</dt><dd data-testid="next-retry"><RelativeTime iso={d.next_attempt_at} /></dd></>)}
          </dl>
          <h3>Payload</h3>
          <pre className="payload" aria-label="Payload">{JSON.stringify(d.payload, null, 2)}</pre>
          <h3>Attempts ({attempts.length})</h3>
          {attempts.length === 0 ? (
            <p className="muted">No attempts yet{d.next_attempt_at ? '; the first is scheduled' : ''}.</p>
          ) : (
            <ol className="attempts">{attempts.map((a) => <AttemptView key={a.id} attempt={a} />)}</ol>
          )}
        </>
      )}
    </section>
  );
}
