import type { SubscriptionHealth } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';

export function SuccessRate({ health }: { health: SubscriptionHealth }) {
  if (health.deliveries_24h === 0) return <span className="muted">No deliveries in 24 h</span>;
  const count = `${health.deliveries_24h} ${health.deliveries_24h === 1 ? 'delivery' : 'deliveries'}`;
  if (health.success_rate_24h === null) return <span>{count}, none finished yet</span>;
  // success_rate_24h is a fraction (0–1) of the deliveries that finished.
  const pct = Math.round(health.success_rate_24h * 100);
  const tone = pct >= 95 ? 'ok' : pct >= 80 ? 'warn' : 'bad';
  return (
    <span>
      <span className={`rate rate-${tone}`}>{pct}% succeeded</span> · {count}
      {health.failed_24h > 0 && <span className="muted"> · {health.failed_24h} failed</span>}
    </span>
  );
}

export function LastDelivery({ health }: { health: SubscriptionHealth }) {
  if (!health.last_delivery_status) return <span className="muted">Never</span>;
  return (
    <span>
      <StatusBadge status={health.last_delivery_status} /> <RelativeTime iso={health.last_delivery_at} />
    </span>
  );
}
