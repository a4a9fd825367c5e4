// An HTTP status as a badge toned by its class (429 apart: the caller's limit, not an error of its request).
export function StatusCode({ status }: { status: number }) {
  const tone = status >= 500 ? 'bad' : status === 429 ? 'warn' : status >= 400 ? 'warn' : 'ok';
  return <span className={`badge badge-${tone}`} data-status={status}>{status}</span>;
}
