// Settings → Audit log: every change to API keys and webhooks, who made it and in which request.
import { IntegrationsGate } from '../components/UpgradePanel.tsx';
import { AuditLog } from './audit/AuditLog.tsx';

export function AuditLogPage() {
  return (
    <IntegrationsGate feature="audit" heading="Audit log">
      <h1>Audit log</h1>
      <p className="lead">
        Who generated, rotated or revoked API keys, changed webhook endpoints, revealed or rotated their signing secrets, and redelivered
        webhooks. The request ID matches the <code>Request-Id</code> header of the request that made the change.
      </p>
      <AuditLog heading="Activity" />
    </IntegrationsGate>
  );
}
