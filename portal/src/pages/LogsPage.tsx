// Settings → Logs: the API requests of the last 7 days, made with the agency's keys.
import { keysApi } from '../api/endpoints.ts';
import { ErrorState, Loading } from '../components/States.tsx';
import { IntegrationsGate } from '../components/UpgradePanel.tsx';
import { useAsync } from '../lib/useAsync.ts';
import { RequestLogTable } from './logs/RequestLogTable.tsx';

export function LogsPage() {
  return (
    <IntegrationsGate feature="api" heading="Logs">
      <h1>Logs</h1>
      <p className="lead">
        Every request your API keys made in the last 7 days: what was asked, what FARO answered and how long it took. Open a request to copy
        its request ID, the <code>Request-Id</code> header of its response, to quote to support or find it in your own logs.
      </p>
      <Logs />
    </IntegrationsGate>
  );
}

function Logs() {
  const keys = useAsync((signal) => keysApi.list(signal).then((r) => r.data), []);
  if (keys.error) return <ErrorState error={keys.error} onRetry={keys.reload} />;
  if (!keys.data) return <Loading label="Loading API keys…" />;
  return <RequestLogTable keys={keys.data} />;
}
