const TONE: Record<string, string> = {
  active: 'ok',
  enabled: 'ok',
  succeeded: 'ok',
  expiring: 'warn',
  pending: 'warn',
  delivering: 'info',
  revoked: 'muted',
  expired: 'muted',
  cancelled: 'muted',
  disabled: 'bad',
  failed: 'bad',
};

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const text = label ?? status.charAt(0).toUpperCase() + status.slice(1);
  return <span className={`badge badge-${TONE[status] ?? 'muted'}`}>{text}</span>;
}
