// One webhook endpoint: settings, activity charts, secret, test send, delivery log and delivery detail.
import { useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiProblem } from '../api/client.ts';
import { webhooksApi } from '../api/endpoints.ts';
import type { Subscription } from '../api/types.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { IntegrationsGate } from '../components/UpgradePanel.tsx';
import { canWrite, READ_ONLY_REASON } from '../lib/permissions.ts';
import { useAsync } from '../lib/useAsync.ts';
import { DeliveriesLog } from './webhooks/DeliveriesLog.tsx';
import { DeliveryCharts } from './webhooks/DeliveryCharts.tsx';
import { DeliveryDetail } from './webhooks/DeliveryDetail.tsx';
import { SecretPanel } from './webhooks/SecretPanel.tsx';
import { SubscriptionActions } from './webhooks/SubscriptionActions.tsx';
import { TestSendPanel } from './webhooks/TestSendPanel.tsx';
import { LastDelivery, SuccessRate } from './webhooks/HealthSummary.tsx';
import { EventsList, SubscriptionStatus } from './webhooks/SubscriptionsTable.tsx';

export function WebhookDetailPage() {
  return (
    <IntegrationsGate feature="webhooks" heading="Webhooks">
      <WebhookDetail />
    </IntegrationsGate>
  );
}

function WebhookDetail() {
  const { id = '' } = useParams();
  const session = useSession();
  const writable = canWrite(session);
  const location = useLocation();
  const navigate = useNavigate();
  const [searchParams, setSearchParams] = useSearchParams();
  const selectedDelivery = searchParams.get('delivery');
  const justCreated = Boolean((location.state as { created?: boolean } | null)?.created);

  const sub = useAsync((signal) => webhooksApi.get(id, signal), [id]);
  const eventTypes = useAsync((signal) => webhooksApi.eventTypes(signal).then((r) => r.data), []);
  const [tick, setTick] = useState(0);
  const bump = () => {
    setTick((n) => n + 1);
    sub.reload();
  };

  const back = <p className="breadcrumb"><Link to="/settings/webhooks">← All webhook endpoints</Link></p>;

  if (sub.error) {
    const notFound = sub.error instanceof ApiProblem && sub.error.status === 404;
    return (
      <>
        {back}
        <h1>Webhook endpoint</h1>
        {notFound ? (
          <EmptyState title="This webhook endpoint does not exist">
            <p>It may have been deleted. <Link to="/settings/webhooks">Back to all endpoints</Link></p>
          </EmptyState>
        ) : (
          <ErrorState error={sub.error} onRetry={sub.reload} />
        )}
      </>
    );
  }
  if (!sub.data) {
    return (
      <>
        {back}
        <Loading label="Loading webhook endpoint…" />
      </>
    );
  }
  const s: Subscription = sub.data;

  return (
    <>
      {back}
      <h1 className="url-title">{s.url}</h1>
      {s.description && <p className="lead">{s.description}</p>}
      {justCreated && <p className="notice" role="status">Endpoint added. Reveal the signing secret below to verify requests, then send a test event.</p>}
      {!writable && <p className="notice" role="note">{READ_ONLY_REASON}</p>}

      <section className="card" aria-labelledby="endpoint-settings">
        <div className="section-header">
          <h2 id="endpoint-settings">Endpoint</h2>
          <SubscriptionActions
            subscription={s}
            canWrite={writable}
            eventTypes={eventTypes.data}
            eventTypesError={eventTypes.error}
            onRetryEventTypes={eventTypes.reload}
            onUpdated={(updated) => sub.setData(() => updated)}
            onDeleted={() => navigate('/settings/webhooks', { replace: true })}
          />
        </div>
        <dl className="facts">
          <dt>Status</dt>
          <dd data-testid="subscription-status"><SubscriptionStatus sub={s} /></dd>
          <dt>Events</dt>
          <dd><EventsList events={s.events} /></dd>
          <dt>Success (24 h)</dt>
          <dd><SuccessRate health={s.health} /></dd>
          <dt>Last delivery</dt>
          <dd><LastDelivery health={s.health} /></dd>
          <dt>ID</dt>
          <dd><code>{s.id}</code></dd>
        </dl>
      </section>

      <DeliveryCharts subscriptionId={s.id} tick={tick} />
      <SecretPanel subscriptionId={s.id} canWrite={writable} />
      <TestSendPanel subscriptionId={s.id} eventTypes={eventTypes.data} canWrite={writable} onSent={bump} />
      <DeliveriesLog
        subscriptionId={s.id}
        eventTypes={eventTypes.data}
        canWrite={writable}
        tick={tick}
        selectedId={selectedDelivery}
        onChanged={bump}
      />
      {selectedDelivery && (
        <DeliveryDetail
          deliveryId={selectedDelivery}
          tick={tick}
          canWrite={writable}
          onChanged={bump}
          onClose={() => setSearchParams({}, { replace: true })}
        />
      )}
    </>
  );
}
