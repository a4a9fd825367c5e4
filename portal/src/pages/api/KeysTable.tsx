import type { ApiKey } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';
import { UsageBar } from './UsageBar.tsx';

interface KeysTableProps {
  keys: ApiKey[];
  canWrite: boolean;
  onRotate: (key: ApiKey) => void;
  onRevoke: (key: ApiKey) => void;
}

const STATUS_LABEL: Record<string, string> = {
  active: 'Active',
  expiring: 'Expiring',
  revoked: 'Revoked',
  expired: 'Expired',
};

export function KeysTable({ keys, canWrite, onRotate, onRevoke }: KeysTableProps) {
  return (
    <div className="table-wrap">
      <table className="table stack-on-phone sticky-actions" aria-label="API keys">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Activity</th>
            <th scope="col">Status</th>
            <th scope="col">Usage (last hour)</th>
            <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const live = key.status === 'active' || key.status === 'expiring';
            return (
              <tr key={key.id} className={live ? undefined : 'row-inactive'} data-status={key.status}>
                <th scope="row" data-label="Name">{key.name}</th>
                <td data-label="Key"><code className="masked-key">{key.masked_key}</code></td>
                <td data-label="Scopes">
                  <ul className="chips">{key.scopes.map((s) => <li key={s}><code>{s}</code></li>)}</ul>
                </td>
                <td data-label="Activity" className="activity">
                  <div data-field="created">
                    Created <RelativeTime iso={key.created_at} />
                    {key.created_by && <span className="muted small"> by {key.created_by.email}</span>}
                  </div>
                  <div data-field="last-used">Last used <RelativeTime iso={key.last_used_at} fallback="never" /></div>
                  {!key.revoked_at && (
                    <div data-field="expires">
                      {key.expires_at ? <>{Date.parse(key.expires_at) > Date.now() ? 'Expires' : 'Expired'} <RelativeTime iso={key.expires_at} /></> : <span className="muted">Never expires</span>}
                    </div>
                  )}
                </td>
                <td data-label="Status">
                  <StatusBadge status={key.status} label={STATUS_LABEL[key.status] ?? key.status} />
                  {key.revoked_at && <div className="muted small">revoked <RelativeTime iso={key.revoked_at} /></div>}
                  {key.replaced_by && <div className="muted small">replaced by a rotated key</div>}
                </td>
                <td data-label="Usage">
                  {live ? <UsageBar keyId={key.id} keyName={key.name} /> : <span className="muted">—</span>}
                </td>
                <td data-label="Actions" className="actions">
                  {live && (
                    <div className="action-stack">
                      {!key.replaced_by && (
                        <button
                          type="button"
                          onClick={() => onRotate(key)}
                          disabled={!canWrite}
                          title={canWrite ? undefined : READ_ONLY_REASON}
                          aria-label={`Rotate ${key.name} (${key.masked_key})`}
                        >
                          Rotate
                        </button>
                      )}
                      <button
                        type="button"
                        className="danger"
                        onClick={() => onRevoke(key)}
                        disabled={!canWrite}
                        title={canWrite ? undefined : READ_ONLY_REASON}
                        aria-label={`Revoke ${key.name} (${key.masked_key})`}
                      >
                        Revoke
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
