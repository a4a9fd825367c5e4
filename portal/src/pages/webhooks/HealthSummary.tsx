// An endpoint's last 24 hours as its owner counts them (docs/webhooks.md, "Endpoint health"):
// retrying deliveries count against the success rate, and test sends show apart, marked as tests.
import type { SubscriptionHealth } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';

export function SuccessRate({ health }: { health: SubscriptionHealth }) {
  if (health.deliveries_24h === 0) return <span className="muted">No deliveries in 24 h</span>;
  const count = `${health.deliveries_24h} ${health.deliveries_24h === 1 ? 'delivery' : 'deliveries'}`;
  if (health.success_rate_24h === null) return <span>{count}, none attempted yet</span>;
  // A fraction (0–1) of the deliveries with an outcome: succeeded, failed, or retrying after a failure.
  const pct = Math.floor(health.success_rate_24h * 100);
  const tone = pct >= 95 ? 'ok' : pct >= 80 ? 'warn' : 'bad';
  return (
    <span data-testid="success-rate">
      <span className={`rate rate-${tone}`}>{pct}% succeeded</span> · {count}
      {health.retrying_24h > 0 && <span className="rate-warn"> · {health.retrying_24h} retrying</span>}
      {health.failed_24h > 0 && <span className="muted"> · {health.failed_24h} failed</span>}
    </span>
  );
}

/** The latest real delivery, and the latest test send when it is more recent, labelled as a test. */
export function LastDelivery({ health }: { health: SubscriptionHealth }) {
  const real = health.last_delivery_status ? (
    <span>
      <StatusBadge status={health.last_delivery_status} /> <RelativeTime iso={health.last_delivery_at} />
    </span>
  ) : null;
  const testIsNewer = health.last_test_at !== null && (health.last_delivery_at === null || health.last_test_at > health.last_delivery_at);
  const test =
    health.last_test_status && testIsNewer ? (
      <span data-testid="last-test">
        <span className="badge badge-info">test</span>
        <StatusBadge status={health.last_test_status} /> <RelativeTime iso={health.last_test_at} />
      </span>
    ) : null;
  if (!real && !test) return <span className="muted">Never</span>;
  return (
    <span className="last-delivery" data-testid="last-delivery">
      {test}
      {test && real && <span className="muted"> · last event: </span>}
      {real}
      {test && !real && <span className="muted small"> (no event delivered yet)</span>}
    </span>
  );
}
