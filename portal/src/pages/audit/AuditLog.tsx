// The audit log: who changed keys and webhooks, from where (user, key or FARO), in which request.
// Settings → Audit log shows all of it with filters; Settings → API shows its keys' entries.
import { useState, type ReactNode } from 'react';
import { auditApi, type AuditFilter } from '../../api/endpoints.ts';
import type { AuditAction, AuditEvent } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { EmptyState, ErrorState, LoadMore, Loading } from '../../components/States.tsx';
import { fromLocalInputValue, formatGrace } from '../../lib/time.ts';
import { useAsync } from '../../lib/useAsync.ts';

export const ACTION_LABEL: Record<AuditAction, string> = {
  'api_key.created': 'Generated',
  'api_key.rotated': 'Rotated',
  'api_key.revoked': 'Revoked',
  'webhook.created': 'Created',
  'webhook.updated': 'Changed',
  'webhook.deleted': 'Deleted',
  'webhook.secret_revealed': 'Secret revealed',
  'webhook.secret_rotated': 'Secret rotated',
  'webhook.recovered': 'Failed deliveries recovered',
  'webhook_delivery.redelivered': 'Redelivered',
};

const ACTION_GROUPS: { label: string; actions: AuditAction[] }[] = [
  { label: 'API keys', actions: ['api_key.created', 'api_key.rotated', 'api_key.revoked'] },
  {
    label: 'Webhooks',
    actions: ['webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.secret_revealed', 'webhook.secret_rotated', 'webhook.recovered', 'webhook_delivery.redelivered'],
  },
];

export const KEY_ACTIONS = ACTION_GROUPS[0]!.actions;

const TARGET_LABEL: Record<AuditEvent['target']['type'], string> = {
  api_key: 'API key',
  webhook_subscription: 'Webhook',
  webhook_delivery: 'Delivery',
};

function actorText(e: AuditEvent): ReactNode {
  if (e.actor.type === 'operator') return 'FARO staff';
  const kind = e.actor.type === 'api_key' ? 'API key' : 'User';
  return (
    <>
      <span className="muted small">{kind} </span>
      {e.actor.label ?? <code>{e.actor.id}</code>}
    </>
  );
}

function targetText(e: AuditEvent): ReactNode {
  return (
    <>
      <span className="muted small">{TARGET_LABEL[e.target.type]} </span>
      {e.target.label ?? <code>{e.target.id}</code>}
    </>
  );
}

const list = (value: unknown) => (Array.isArray(value) ? value.join(', ') : '');

export function detailText(e: AuditEvent): string {
  const d = e.details;
  const parts: string[] = [];
  if (Array.isArray(d.scopes)) parts.push(`scopes: ${list(d.scopes)}`);
  if (typeof d.grace_period_seconds === 'number') parts.push(`old key grace: ${formatGrace(d.grace_period_seconds)}`);
  if (typeof d.expires_at === 'string') parts.push(`expires ${new Date(d.expires_at).toLocaleDateString()}`);
  if (e.action === 'webhook.created' && Array.isArray(d.events)) parts.push(`events: ${list(d.events)}`);
  if (e.action === 'webhook.updated' && d.changes && typeof d.changes === 'object') parts.push(`changed: ${Object.keys(d.changes).join(', ')}`);
  if (typeof d.previous_secret_expires_at === 'string') parts.push(`old secret signs until ${new Date(d.previous_secret_expires_at).toLocaleString()}`);
  if (typeof d.requeued === 'number') parts.push(`${d.requeued} requeued since ${new Date(String(d.since)).toLocaleString()}`);
  if (e.action === 'webhook_delivery.redelivered' && typeof d.event_type === 'string') parts.push(d.event_type);
  return parts.join(' · ');
}

interface Props {
  heading: string;
  /** Only these actions, with no filters shown; otherwise the action and time filters are shown. */
  actions?: readonly AuditAction[];
  /** Bump to load the first page again (after a change the log should show). */
  refreshKey?: number;
  footer?: ReactNode;
}

export function AuditLog({ heading, actions, refreshKey = 0, footer }: Props) {
  const filterable = actions === undefined;
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [extra, setExtra] = useState<{ items: AuditEvent[]; cursor: string | null }>({ items: [], cursor: null });
  const [more, setMore] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });

  const filter: AuditFilter = {
    action: actions ?? (action ? [action as AuditAction] : undefined),
    created_since: fromLocalInputValue(from) ?? undefined,
    created_before: fromLocalInputValue(until) ?? undefined,
  };
  const page = useAsync(async (signal) => {
    const result = await auditApi.list(filter, signal);
    setExtra({ items: [], cursor: result.next_cursor });
    return result;
  }, [action, from, until, refreshKey, actions?.join()]);

  async function loadMore() {
    if (!extra.cursor) return;
    setMore({ loading: true, error: null });
    try {
      const next = await auditApi.list({ ...filter, cursor: extra.cursor });
      setExtra((cur) => ({ items: [...cur.items, ...next.data], cursor: next.has_more ? next.next_cursor : null }));
      setMore({ loading: false, error: null });
    } catch (err) {
      setMore({ loading: false, error: err });
    }
  }

  const items = [...(page.data?.data ?? []), ...extra.items];
  const hasMore = extra.items.length === 0 ? Boolean(page.data?.has_more) : extra.cursor !== null;
  const filtered = Boolean(action || from || until);

  return (
    <section className="card" aria-labelledby="audit-log">
      <div className="section-header">
        <h2 id="audit-log">{heading}</h2>
        <div className="toolbar">
          <button type="button" onClick={page.reload} disabled={page.loading}>{page.loading ? 'Refreshing…' : 'Refresh'}</button>
        </div>
      </div>
      {filterable && (
        <div className="filters">
          <div className="field">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">All actions</option>
              {ACTION_GROUPS.map((group) => (
                <optgroup key={group.label} label={group.label}>
                  {group.actions.map((a) => <option key={a} value={a}>{`${group.label}: ${ACTION_LABEL[a]}`}</option>)}
                </optgroup>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-from">From</label>
            <input id="audit-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="audit-until">Until</label>
            <input id="audit-until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
          </div>
        </div>
      )}
      {page.error ? (
        <ErrorState error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading label="Loading audit log…" />
      ) : items.length === 0 ? (
        <EmptyState title={filtered ? 'No entries match these filters' : 'No activity yet'}>
          <p>Changes to API keys and webhooks, and every reveal of a signing secret, are recorded here.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">By</th>
                <th scope="col">Request ID</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td data-label="When"><RelativeTime iso={e.created_at} /></td>
                  <td data-label="Action">{ACTION_LABEL[e.action] ?? e.action}</td>
                  <td data-label="Target">{targetText(e)}</td>
                  <td data-label="By">{actorText(e)}</td>
                  <td data-label="Request ID">{e.request_id ? <code className="small">{e.request_id}</code> : <span className="muted">—</span>}</td>
                  <td data-label="Details" className="small">{detailText(e) || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <LoadMore onClick={loadMore} loading={more.loading} error={more.error} />
      )}
      {footer}
    </section>
  );
}
