import { Link } from 'react-router';
import type { Subscription } from '../../api/types.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { LastDelivery, SuccessRate } from './HealthSummary.tsx';

export function EventsList({ events }: { events: string[] }) {
  if (events.includes('*')) return <span>All events</span>;
  return <ul className="chips">{events.map((e) => <li key={e}><code>{e}</code></li>)}</ul>;
}

export function SubscriptionStatus({ sub }: { sub: Subscription }) {
  return (
    <>
      <StatusBadge status={sub.enabled ? 'enabled' : 'disabled'} label={sub.enabled ? 'Enabled' : 'Disabled'} />
      {!sub.enabled && sub.disabled_reason && <div className="small disabled-reason">{sub.disabled_reason}</div>}
    </>
  );
}

export function SubscriptionsTable({ subscriptions }: { subscriptions: Subscription[] }) {
  return (
    <div className="table-wrap">
      <table className="table stack-on-phone" aria-label="Webhook endpoints">
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Events</th>
            <th scope="col">Status</th>
            <th scope="col">Success (24 h)</th>
            <th scope="col">Last delivery</th>
          </tr>
        </thead>
        <tbody>
          {subscriptions.map((sub) => (
            <tr key={sub.id} className={sub.enabled ? undefined : 'row-inactive'}>
              <th scope="row" data-label="Endpoint" className="url-cell">
                <Link to={`/settings/webhooks/${sub.id}`}>{sub.url}</Link>
                {sub.description && <div className="muted small">{sub.description}</div>}
              </th>
              <td data-label="Events"><EventsList events={sub.events} /></td>
              <td data-label="Status"><SubscriptionStatus sub={sub} /></td>
              <td data-label="Success (24 h)"><SuccessRate health={sub.health} /></td>
              <td data-label="Last delivery"><LastDelivery health={sub.health} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
