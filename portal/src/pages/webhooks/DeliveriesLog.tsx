// The subscription's delivery log, filterable by status and event type; rows open the detail.
import { useState } from 'react';
import { Link } from 'react-router';
import { webhooksApi } from '../../api/endpoints.ts';
import type { Delivery, EventType } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { EmptyState, ErrorState, LoadMore, Loading } from '../../components/States.tsx';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { usePolling } from '../../lib/usePolling.ts';
import { RecoverDialog } from './RecoverDialog.tsx';

const STATUSES = ['pending', 'delivering', 'succeeded', 'failed', 'cancelled'];

interface Props {
  subscriptionId: string;
  eventTypes: EventType[] | undefined;
  canWrite: boolean;
  tick: number;
  selectedId: string | null;
  onChanged: () => void;
}

export function lastResponse(d: Pick<Delivery, 'last_status_code' | 'last_error'>) {
  if (d.last_status_code !== null) return <code>{d.last_status_code}</code>;
  if (d.last_error) return <span className="small">{d.last_error}</span>;
  return <span className="muted">—</span>;
}

export function DeliveriesLog({ subscriptionId, eventTypes, canWrite, tick, selectedId, onChanged }: Props) {
  const [status, setStatus] = useState('');
  const [eventType, setEventType] = useState('');
  const [extra, setExtra] = useState<{ items: Delivery[]; cursor: string | null }>({ items: [], cursor: null });
  const [more, setMore] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const [recovering, setRecovering] = useState(false);
  const [recovered, setRecovered] = useState<number | null>(null);

  const page = useAsync(async (signal) => {
    const result = await webhooksApi.deliveries(subscriptionId, { status, event_type: eventType }, signal);
    setExtra({ items: [], cursor: result.next_cursor });
    return result;
  }, [subscriptionId, status, eventType, tick]);

  const items = [...(page.data?.data ?? []), ...extra.items];
  const active = items.some((d) => d.status === 'pending' || d.status === 'delivering');
  usePolling(active && extra.items.length === 0, onChanged);

  async function loadMore() {
    if (!extra.cursor) return;
    setMore({ loading: true, error: null });
    try {
      const next = await webhooksApi.deliveries(subscriptionId, { status, event_type: eventType, cursor: extra.cursor });
      setExtra((cur) => ({ items: [...cur.items, ...next.data], cursor: next.has_more ? next.next_cursor : null }));
      setMore({ loading: false, error: null });
    } catch (err) {
      setMore({ loading: false, error: err });
    }
  }

  const hasMore = extra.items.length === 0 ? Boolean(page.data?.has_more) : extra.cursor !== null;

  return (
    <section className="card" aria-labelledby="deliveries">
      <div className="section-header">
        <h2 id="deliveries">Deliveries</h2>
        <div className="toolbar">
          <button type="button" onClick={onChanged} disabled={page.loading}>{page.loading ? 'Refreshing…' : 'Refresh'}</button>
          <button type="button" onClick={() => setRecovering(true)} disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_REASON}>
            Recover failed since…
          </button>
        </div>
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-event-type">Event type</label>
          <select id="filter-event-type" value={eventType} onChange={(e) => setEventType(e.target.value)}>
            <option value="">All event types</option>
            {(eventTypes ?? []).map((t) => <option key={t.type} value={t.type}>{t.type}</option>)}
          </select>
        </div>
      </div>
      {recovered !== null && (
        <p className="notice" role="status">
          {recovered === 0
            ? 'No deliveries failed since then; nothing to recover.'
            : `${recovered === 1 ? '1 failed delivery was' : `${recovered} failed deliveries were`} queued again.`}
        </p>
      )}
      {page.error ? (
        <ErrorState error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading label="Loading deliveries…" />
      ) : items.length === 0 ? (
        <EmptyState title={status || eventType ? 'No deliveries match these filters' : 'No deliveries yet'}>
          <p>Each event sent to this endpoint, including test events, appears here.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone" aria-label="Deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last response</th>
                <th scope="col">Next retry</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} className={d.id === selectedId ? 'row-selected' : undefined} data-delivery-id={d.id}>
                  <th scope="row" data-label="Event">
                    <Link to={`?delivery=${d.id}`} aria-label={`View delivery ${d.id} (${d.event_type}, ${d.status})`}>{d.event_type}</Link>
                    {d.is_test && <span className="badge badge-info">test</span>}
                  </th>
                  <td data-label="Status"><StatusBadge status={d.status} /></td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last response">{lastResponse(d)}</td>
                  <td data-label="Next retry">{d.status === 'pending' && d.next_attempt_at ? <RelativeTime iso={d.next_attempt_at} /> : <span className="muted">—</span>}</td>
                  <td data-label="Created"><RelativeTime iso={d.created_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <LoadMore onClick={loadMore} loading={more.loading} error={more.error} />
      )}
      {recovering && (
        <RecoverDialog
          subscriptionId={subscriptionId}
          onClose={() => setRecovering(false)}
          onRecovered={(n) => {
            setRecovering(false);
            setRecovered(n);
            onChanged();
          }}
        />
      )}
    </section>
  );
}
