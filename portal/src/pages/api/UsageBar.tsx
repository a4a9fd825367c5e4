// Requests in the rolling hour against the key's limit.
import { keysApi } from '../../api/endpoints.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { describeError, requestIdOf } from '../../api/client.ts';

const nf = new Intl.NumberFormat();

export function UsageBar({ keyId, keyName }: { keyId: string; keyName: string }) {
  const usage = useAsync((signal) => keysApi.usage(keyId, signal), [keyId]);
  if (usage.loading && !usage.data) return <span className="muted">Loading…</span>;
  if (usage.error) {
    return (
      <span className="inline-error" title={[describeError(usage.error), requestIdOf(usage.error) && `Request ID ${requestIdOf(usage.error)}`].filter(Boolean).join(' · ')}>
        Unavailable <button type="button" className="link" onClick={usage.reload}>Retry</button>
      </span>
    );
  }
  const u = usage.data;
  if (!u) return null;
  const ratio = u.limit > 0 ? u.used / u.limit : 0;
  const tone = ratio >= 0.9 ? 'bad' : ratio >= 0.75 ? 'warn' : 'ok';
  const minutes = Math.max(1, Math.ceil(u.reset_seconds / 60));
  return (
    <div className="usage" data-testid={`usage-${keyId}`}>
      <div
        className={`usage-bar usage-${tone}`}
        role="meter"
        aria-label={`Requests in the last hour for ${keyName}`}
        aria-valuemin={0}
        aria-valuemax={u.limit}
        aria-valuenow={u.used}
        aria-valuetext={`${nf.format(u.used)} of ${nf.format(u.limit)} requests`}
      >
        <span style={{ width: `${Math.min(100, ratio * 100)}%` }} />
      </div>
      <span className="usage-text">
        {nf.format(u.used)} / {nf.format(u.limit)} per hour
        {u.remaining === 0 && <span className="inline-error"> · limit reached, more in {minutes} min</span>}
      </span>
    </div>
  );
}
