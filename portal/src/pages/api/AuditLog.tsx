import type { AuditEntry } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/States.tsx';
import { formatGrace } from '../../lib/time.ts';

const ACTION_LABEL: Record<string, string> = {
  'api_key.created': 'Generated',
  'api_key.rotated': 'Rotated',
  'api_key.revoked': 'Revoked',
};

function detailText(entry: AuditEntry): string {
  const d = entry.details ?? {};
  const parts: string[] = [];
  if (Array.isArray(d.scopes)) parts.push(`scopes: ${(d.scopes as string[]).join(', ')}`);
  if (typeof d.grace_period_seconds === 'number') parts.push(`old key grace: ${formatGrace(d.grace_period_seconds)}`);
  if (typeof d.expires_at === 'string') parts.push(`expires ${new Date(d.expires_at).toLocaleDateString()}`);
  return parts.join(' · ');
}

interface Props {
  entries: AuditEntry[] | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
}

export function AuditLog({ entries, loading, error, onRetry }: Props) {
  return (
    <section className="card" aria-labelledby="audit-log">
      <h2 id="audit-log">Audit log</h2>
      {error ? (
        <ErrorState error={error} onRetry={onRetry} />
      ) : !entries && loading ? (
        <Loading label="Loading audit log…" />
      ) : !entries || entries.length === 0 ? (
        <EmptyState title="No key activity yet">
          <p>Generating, rotating and revoking keys is recorded here.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Key</th>
                <th scope="col">By</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td data-label="When"><RelativeTime iso={e.created_at} /></td>
                  <td data-label="Action">{ACTION_LABEL[e.action] ?? e.action}</td>
                  <td data-label="Key">{e.key_name ?? <span className="muted">(deleted key)</span>}</td>
                  <td data-label="By">{e.actor?.email ?? <span className="muted">FARO</span>}</td>
                  <td data-label="Details" className="small">{detailText(e) || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
