// Settings → API: keys, the show-once panel, rotate/revoke, usage and its history, a curl example, the keys' audit log.
import { useState } from 'react';
import { Link } from 'react-router';
import { keysApi } from '../api/endpoints.ts';
import type { ApiKey, NewApiKey } from '../api/types.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { EmptyState, ErrorState, Loading } from '../components/States.tsx';
import { UpgradePanel } from '../components/UpgradePanel.tsx';
import { canWrite, hasIntegrations, READ_ONLY_REASON } from '../lib/permissions.ts';
import { useAsync } from '../lib/useAsync.ts';
import { AuditLog, KEY_ACTIONS } from './audit/AuditLog.tsx';
import { CurlExample } from './api/CurlExample.tsx';
import { GenerateKeyDialog } from './api/GenerateKeyDialog.tsx';
import { KeysTable } from './api/KeysTable.tsx';
import { RevokeDialog } from './api/RevokeDialog.tsx';
import { RotateDialog } from './api/RotateDialog.tsx';
import { ShowOncePanel } from './api/ShowOncePanel.tsx';
import { UsageHistory } from './api/UsageHistory.tsx';

type Modal =
  | { kind: 'generate' }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey }
  | { kind: 'show'; created: NewApiKey; rotated: { old: ApiKey; graceSeconds: number } | null }
  | null;

export function ApiSettingsPage() {
  const session = useSession();
  const enabled = hasIntegrations(session.agency.tier);
  if (!enabled) {
    return (
      <>
        <h1>API</h1>
        <UpgradePanel feature="api" tier={session.agency.tier} />
      </>
    );
  }
  return <ApiSettings />;
}

function ApiSettings() {
  const session = useSession();
  const writable = canWrite(session);
  const keys = useAsync((signal) => keysApi.list(signal).then((r) => r.data), []);
  const scopes = useAsync((signal) => keysApi.scopes(signal).then((r) => r.data), [], writable);
  const [auditRefresh, setAuditRefresh] = useState(0);
  const [modal, setModal] = useState<Modal>(null);

  function afterChange() {
    keys.reload();
    setAuditRefresh((n) => n + 1);
  }

  function onRevoked(revoked: ApiKey) {
    keys.setData((list) => list?.map((k) => (k.id === revoked.id ? revoked : k)));
    setModal(null);
    setAuditRefresh((n) => n + 1);
  }

  return (
    <>
      <h1>API</h1>
      <p className="lead">API keys let your own software read and update your FARO data. Each key has its own permissions and rate limit.</p>
      {!writable && <p className="notice" role="note" id="read-only-note">{READ_ONLY_REASON}</p>}

      <section className="card" aria-labelledby="api-keys">
        <div className="section-header">
          <h2 id="api-keys">API keys</h2>
          <button
            type="button"
            className="primary"
            onClick={() => setModal({ kind: 'generate' })}
            disabled={!writable}
            aria-describedby={writable ? undefined : 'read-only-note'}
            title={writable ? undefined : READ_ONLY_REASON}
          >
            Generate key
          </button>
        </div>
        {keys.error ? (
          <ErrorState error={keys.error} onRetry={keys.reload} />
        ) : !keys.data ? (
          <Loading label="Loading API keys…" />
        ) : keys.data.length === 0 ? (
          <EmptyState title="No API keys yet">
            <p>{writable ? 'Generate a key to start using the FARO API.' : 'An admin of your agency can generate one.'}</p>
          </EmptyState>
        ) : (
          <KeysTable
            keys={keys.data}
            canWrite={writable}
            onRotate={(key) => setModal({ kind: 'rotate', key })}
            onRevoke={(key) => setModal({ kind: 'revoke', key })}
          />
        )}
      </section>

      {keys.data && keys.data.length > 0 && <UsageHistory keys={keys.data} />}
      <CurlExample rateLimit={session.agency.api_rate_limit} />
      <AuditLog
        heading="Audit log"
        actions={KEY_ACTIONS}
        refreshKey={auditRefresh}
        footer={<p className="small">Webhook changes and secret reveals are in the <Link to="/settings/audit-log">full audit log</Link>.</p>}
      />

      {modal?.kind === 'generate' && (
        <GenerateKeyDialog
          scopes={scopes.data}
          scopesError={scopes.error}
          onRetryScopes={scopes.reload}
          onClose={() => setModal(null)}
          onCreated={(created) => {
            setModal({ kind: 'show', created, rotated: null });
            afterChange();
          }}
        />
      )}
      {modal?.kind === 'rotate' && (
        <RotateDialog
          apiKey={modal.key}
          onClose={() => setModal(null)}
          onRotated={(created, graceSeconds) => {
            setModal({ kind: 'show', created, rotated: { old: modal.key, graceSeconds } });
            afterChange();
          }}
        />
      )}
      {modal?.kind === 'revoke' && <RevokeDialog apiKey={modal.key} onClose={() => setModal(null)} onRevoked={onRevoked} />}
      {modal?.kind === 'show' && <ShowOncePanel created={modal.created} rotated={modal.rotated} onClose={() => setModal(null)} />}
    </>
  );
}
