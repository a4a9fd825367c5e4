// Open health alerts (an endpoint disabled or failing, a key expiring or near its quota), above
// every page until FARO resolves them, each with a link to what needs attention.
import { Link, useLocation } from 'react-router';
import { alertsApi } from '../api/endpoints.ts';
import type { OpenAlert } from '../api/types.ts';
import { useAsync } from '../lib/useAsync.ts';
import { useMode } from '../lib/mode.ts';
import { usePolling } from '../lib/usePolling.ts';

const detail = (alert: OpenAlert, key: string) => String(alert.details[key] ?? '');

function describe(alert: OpenAlert): { text: string; link: string; linkText: string } {
  const endpoint = { link: `/settings/webhooks/${encodeURIComponent(alert.subject_id)}`, linkText: 'Open endpoint' };
  const key = { link: '/settings/api', linkText: 'Manage API keys' };
  switch (alert.kind) {
    case 'endpoint_disabled':
      return { ...endpoint, text: `Webhook endpoint ${detail(alert, 'url')} was disabled: ${detail(alert, 'reason')}` };
    case 'endpoint_failing':
      return { ...endpoint, text: `Every delivery to ${detail(alert, 'url')} has failed since ${new Date(detail(alert, 'failing_since')).toLocaleString()}.` };
    case 'api_key_expiring':
      return { ...key, text: `API key “${detail(alert, 'name')}” (${detail(alert, 'masked_key')}) expires ${new Date(detail(alert, 'expires_at')).toLocaleString()}. Rotate it to keep working.` };
    case 'rate_limit_approaching':
      return { ...key, text: `API key “${detail(alert, 'name')}” used ${detail(alert, 'used')} of its ${detail(alert, 'limit')} requests this hour.` };
  }
}

export function AlertBanner() {
  const mode = useMode();
  const { pathname } = useLocation();
  // Again on every page change (an alert resolved by what was just done there), and every 30 s.
  const alerts = useAsync((signal) => alertsApi.open(signal), [mode, pathname]);
  usePolling(true, alerts.reload, 30_000);
  const open = alerts.data ?? [];
  if (open.length === 0) return null;
  return (
    <div className="alert-banner" role="region" aria-label="Alerts" data-testid="alert-banner">
      <ul>
        {open.map((alert) => {
          const { text, link, linkText } = describe(alert);
          return (
            <li key={alert.id} data-testid="alert-item" data-kind={alert.kind}>
              <span aria-hidden="true">⚠ </span>{text} <Link to={link}>{linkText}</Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
