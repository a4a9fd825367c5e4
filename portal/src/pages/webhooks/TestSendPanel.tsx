// Send a sample event now and show what the endpoint answered.
import { useState, type FormEvent } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import type { EventType, TestOutcome } from '../../api/types.ts';
import { InlineError } from '../../components/States.tsx';
import { formatDuration } from '../../lib/time.ts';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';

interface Props {
  subscriptionId: string;
  eventTypes: EventType[] | undefined;
  canWrite: boolean;
  onSent: () => void;
}

function OutcomeView({ outcome }: { outcome: TestOutcome }) {
  return (
    <div className={`outcome ${outcome.success ? 'outcome-ok' : 'outcome-bad'}`} data-testid="test-outcome">
      <p className="outcome-title">
        {outcome.success ? 'Delivered' : 'Failed'}
        {outcome.status_code !== null && <> · HTTP {outcome.status_code}</>}
        {' · '}{formatDuration(outcome.duration_ms)}
      </p>
      {outcome.error_kind && (
        <p>Error: <code>{outcome.error_kind}</code>{outcome.error_message && <> · {outcome.error_message}</>}</p>
      )}
      {outcome.response_body_excerpt && (
        <>
          <p className="small muted">Response body</p>
          <pre className="excerpt">{outcome.response_body_excerpt}</pre>
        </>
      )}
    </div>
  );
}

export function TestSendPanel({ subscriptionId, eventTypes, canWrite, onSent }: Props) {
  const [type, setType] = useState('webhook.test');
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const types = eventTypes?.map((t) => t.type) ?? ['webhook.test'];
  if (!types.includes('webhook.test')) types.unshift('webhook.test');

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSending(true);
    setError(null);
    setOutcome(null);
    try {
      setOutcome(await webhooksApi.test(subscriptionId, type));
      onSent();
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="send-test">
      <h2 id="send-test">Send a test event</h2>
      <form className="inline-form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="test-event-type">Event type</label>
          <select id="test-event-type" value={type} onChange={(e) => setType(e.target.value)}>
            {types.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <button type="submit" className="primary" disabled={!canWrite || sending} title={canWrite ? undefined : READ_ONLY_REASON}>
          {sending ? 'Sending…' : 'Send test event'}
        </button>
      </form>
      <p className="help">The sample is signed like a real event, sent right away and recorded in the log below. It is not retried.</p>
      <div aria-live="polite">
        {outcome && <OutcomeView outcome={outcome} />}
      </div>
      <InlineError error={error} />
    </section>
  );
}
