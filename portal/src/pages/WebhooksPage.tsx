// Settings → Webhooks: the agency's endpoints with their health, and "Add endpoint".
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { webhooksApi } from '../api/endpoints.ts';
import type { Subscription } from '../api/types.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { EmptyState, ErrorState, LoadMore, Loading } from '../components/States.tsx';
import { IntegrationsGate } from '../components/UpgradePanel.tsx';
import { canWrite, READ_ONLY_REASON } from '../lib/permissions.ts';
import { useAsync } from '../lib/useAsync.ts';
import { SubscriptionFormDialog } from './webhooks/SubscriptionFormDialog.tsx';
import { SubscriptionsTable } from './webhooks/SubscriptionsTable.tsx';

export function WebhooksPage() {
  return (
    <IntegrationsGate feature="webhooks" heading="Webhooks">
      <Webhooks />
    </IntegrationsGate>
  );
}

function Webhooks() {
  const session = useSession();
  const writable = canWrite(session);
  const navigate = useNavigate();
  const list = useAsync((signal) => webhooksApi.list(null, signal), []);
  const eventTypes = useAsync((signal) => webhooksApi.eventTypes(signal).then((r) => r.data), [], writable);
  const [creating, setCreating] = useState(false);
  const [more, setMore] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });

  async function loadMore() {
    const cursor = list.data?.next_cursor;
    if (!cursor) return;
    setMore({ loading: true, error: null });
    try {
      const page = await webhooksApi.list(cursor);
      list.setData((cur) => cur && { ...page, data: [...cur.data, ...page.data] });
      setMore({ loading: false, error: null });
    } catch (err) {
      setMore({ loading: false, error: err });
    }
  }

  function onCreated(sub: Subscription) {
    setCreating(false);
    navigate(`/settings/webhooks/${sub.id}`, { state: { created: true } });
  }

  return (
    <>
      <h1>Webhooks</h1>
      <p className="lead">
        Webhooks tell your systems the moment something happens in FARO: FARO sends a signed HTTP POST to your endpoint for
        each event, and retries until your endpoint accepts it.{' '}
        <a href="/docs/webhooks" target="_blank" rel="noreferrer">Guide: receiving and verifying webhooks (opens in a new tab)</a>
      </p>
      {!writable && <p className="notice" role="note" id="read-only-note">{READ_ONLY_REASON}</p>}
      <section className="card" aria-labelledby="webhook-endpoints">
        <div className="section-header">
          <h2 id="webhook-endpoints">Endpoints</h2>
          <button
            type="button"
            className="primary"
            onClick={() => setCreating(true)}
            disabled={!writable}
            aria-describedby={writable ? undefined : 'read-only-note'}
            title={writable ? undefined : READ_ONLY_REASON}
          >
            Add endpoint
          </button>
        </div>
        {list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : !list.data ? (
          <Loading label="Loading webhook endpoints…" />
        ) : list.data.data.length === 0 ? (
          <EmptyState title="No webhook endpoints yet">
            <p>{writable ? 'Add an endpoint to start receiving events.' : 'An admin of your agency can add one.'}</p>
          </EmptyState>
        ) : (
          <>
            <SubscriptionsTable subscriptions={list.data.data} />
            {list.data.has_more && (
              <LoadMore onClick={loadMore} loading={more.loading} error={more.error} />
            )}
          </>
        )}
      </section>
      {creating && (
        <SubscriptionFormDialog
          eventTypes={eventTypes.data}
          eventTypesError={eventTypes.error}
          onRetryEventTypes={eventTypes.reload}
          onClose={() => setCreating(false)}
          onSaved={onCreated}
        />
      )}
    </>
  );
}
