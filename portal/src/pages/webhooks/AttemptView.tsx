import type { Attempt } from '../../api/types.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { formatDuration } from '../../lib/time.ts';

function Headers({ headers, label }: { headers: Record<string, string> | null; label: string }) {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return <p className="muted small">No {label.toLowerCase()}.</p>;
  return (
    <dl className="headers" aria-label={label}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AttemptView({ attempt }: { attempt: Attempt }) {
  const ok = attempt.response_status !== null && attempt.response_status >= 200 && attempt.response_status < 300 && !attempt.error_kind;
  return (
    <li className={`attempt ${ok ? 'attempt-ok' : 'attempt-bad'}`} data-testid="delivery-attempt">
      <h4>
        Attempt {attempt.attempt_number}
        <span className="attempt-summary">
          {' · '}
          {attempt.response_status !== null ? `HTTP ${attempt.response_status}` : 'No response'}
          {' · '}{formatDuration(attempt.duration_ms)}
          {' · '}<RelativeTime iso={attempt.started_at} />
        </span>
      </h4>
      {attempt.error_kind && (
        <p className="attempt-error">
          Error: <code>{attempt.error_kind}</code>
          {attempt.error_message && <> · {attempt.error_message}</>}
        </p>
      )}
      <div className="attempt-grid">
        <div>
          <h5>Request headers</h5>
          <Headers headers={attempt.request_headers} label="Request headers" />
        </div>
        <div>
          <h5>Response</h5>
          {attempt.response_status !== null ? <p>Status <code>{attempt.response_status}</code></p> : <p className="muted">No response received.</p>}
          {attempt.response_body_excerpt && <pre className="excerpt" aria-label="Response body excerpt">{attempt.response_body_excerpt}</pre>}
          {attempt.response_headers && Object.keys(attempt.response_headers).length > 0 && (
            <details>
              <summary>Response headers</summary>
              <Headers headers={attempt.response_headers} label="Response headers" />
            </details>
          )}
        </div>
      </div>
    </li>
  );
}
