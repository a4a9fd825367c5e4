// The request log: the agency's API requests, newest first, filtered by key, status, path and time.
import { useState } from 'react';
import { usageApi, type RequestLogFilter } from '../../api/endpoints.ts';
import type { ApiKey, RequestLog } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { EmptyState, ErrorState, LoadMore, Loading } from '../../components/States.tsx';
import { formatDuration, fromLocalInputValue } from '../../lib/time.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { RequestLogDetail } from './RequestLogDetail.tsx';
import { StatusCode } from './StatusCode.tsx';

const STATUS_FILTERS = [
  { value: '', label: 'All statuses' },
  { value: '2xx', label: '2xx succeeded' },
  { value: '4xx', label: '4xx client errors' },
  { value: '429', label: '429 rate limited' },
  { value: '5xx', label: '5xx server errors' },
];

export function RequestLogTable({ keys }: { keys: ApiKey[] }) {
  const [keyId, setKeyId] = useState('');
  const [status, setStatus] = useState('');
  const [pathDraft, setPathDraft] = useState('');
  const [path, setPath] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [open, setOpen] = useState<RequestLog | null>(null);
  const [extra, setExtra] = useState<{ items: RequestLog[]; cursor: string | null }>({ items: [], cursor: null });
  const [more, setMore] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const keyNames = new Map(keys.map((k) => [k.id, k.name]));
  const keyLabel = (id: string) => keyNames.get(id) ?? 'Deleted key';

  const filter: RequestLogFilter = {
    key_id: keyId || undefined,
    status: status || undefined,
    path: path || undefined,
    created_since: fromLocalInputValue(from) ?? undefined,
    created_before: fromLocalInputValue(until) ?? undefined,
  };
  const page = useAsync(async (signal) => {
    const result = await usageApi.requestLogs(filter, signal);
    setExtra({ items: [], cursor: result.next_cursor });
    return result;
  }, [keyId, status, path, from, until]);

  async function loadMore() {
    if (!extra.cursor) return;
    setMore({ loading: true, error: null });
    try {
      const next = await usageApi.requestLogs({ ...filter, cursor: extra.cursor });
      setExtra((cur) => ({ items: [...cur.items, ...next.data], cursor: next.has_more ? next.next_cursor : null }));
      setMore({ loading: false, error: null });
    } catch (err) {
      setMore({ loading: false, error: err });
    }
  }

  /** The path filter applies when typing stops being a draft: on Enter or leaving the field. */
  function applyPath() {
    const trimmed = pathDraft.trim();
    setPath(trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`);
  }

  const items = [...(page.data?.data ?? []), ...extra.items];
  const hasMore = extra.items.length === 0 ? Boolean(page.data?.has_more) : extra.cursor !== null;
  const filtered = Boolean(keyId || status || path || from || until);

  return (
    <section className="card" aria-labelledby="request-log">
      <div className="section-header">
        <h2 id="request-log">Requests</h2>
        <div className="toolbar">
          <button type="button" onClick={page.reload} disabled={page.loading}>{page.loading ? 'Refreshing…' : 'Refresh'}</button>
        </div>
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor="log-key">API key</label>
          <select id="log-key" value={keyId} onChange={(e) => setKeyId(e.target.value)}>
            <option value="">All keys</option>
            {keys.map((k) => <option key={k.id} value={k.id}>{`${k.name} (${k.masked_key})`}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-status">Status</label>
          <select id="log-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {STATUS_FILTERS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-path">Path starts with</label>
          <input
            id="log-path"
            type="search"
            placeholder="/api/v1/leads"
            value={pathDraft}
            onChange={(e) => setPathDraft(e.target.value)}
            onBlur={applyPath}
            onKeyDown={(e) => {
              if (e.key === 'Enter') applyPath();
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="log-from">From</label>
          <input id="log-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="log-until">Until</label>
          <input id="log-until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
      </div>
      {page.error ? (
        <ErrorState error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading label="Loading requests…" />
      ) : items.length === 0 ? (
        <EmptyState title={filtered ? 'No requests match these filters' : 'No API requests yet'}>
          <p>Requests made with your API keys show here within a few seconds, for 7 days.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone" aria-label="API requests">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Key</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Request ID</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-request-log={e.id}>
                  <td data-label="When"><RelativeTime iso={e.created_at} /></td>
                  <td data-label="Key">{keyLabel(e.key_id)}</td>
                  <td data-label="Request">
                    <button type="button" className="link request-link" onClick={() => setOpen(e)} aria-label={`Open ${e.method} ${e.path}`}>
                      <code className="wrap">{e.method} {e.path}</code>
                    </button>
                  </td>
                  <td data-label="Status"><StatusCode status={e.status} /></td>
                  <td data-label="Duration">{formatDuration(e.duration_ms)}</td>
                  <td data-label="Request ID"><code className="small">{e.request_id}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && <LoadMore onClick={loadMore} loading={more.loading} error={more.error} />}
      {open && <RequestLogDetail entry={open} keyLabel={keyLabel(open.key_id)} onClose={() => setOpen(null)} />}
    </section>
  );
}
