import { useState, type FormEvent } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { InlineError } from '../../components/States.tsx';
import { fromLocalInputValue, toLocalInputValue } from '../../lib/time.ts';

const MAX_AGE_MS = 30 * 24 * 3600_000;

interface Props {
  subscriptionId: string;
  onClose: () => void;
  onRecovered: (requeued: number) => void;
}

export function RecoverDialog({ subscriptionId, onClose, onRecovered }: Props) {
  const [since, setSince] = useState(() => toLocalInputValue(new Date(Date.now() - 24 * 3600_000)));
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const iso = fromLocalInputValue(since);
    if (!iso) {
      setFieldError('Enter a date and time.');
      return;
    }
    if (Date.parse(iso) > Date.now()) {
      setFieldError('Choose a time in the past.');
      return;
    }
    if (Date.parse(iso) < Date.now() - MAX_AGE_MS) {
      setFieldError('Deliveries are kept for 30 days: choose a time within the last 30 days.');
      return;
    }
    setFieldError(null);
    setSubmitting(true);
    setError(null);
    try {
      onRecovered((await webhooksApi.recover(subscriptionId, iso)).requeued);
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Dialog title="Recover failed deliveries" onClose={onClose}>
      <form onSubmit={onSubmit} noValidate>
        <p>Queue again every delivery to this endpoint that failed since a time, e.g. the start of an outage on your side.</p>
        <div className="field">
          <label htmlFor="recover-since">Failed since</label>
          <input
            id="recover-since"
            type="datetime-local"
            value={since}
            min={toLocalInputValue(new Date(Date.now() - MAX_AGE_MS + 60_000))}
            max={toLocalInputValue(new Date())}
            onChange={(e) => setSince(e.target.value)}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby="recover-since-help"
          />
          <p id="recover-since-help" className={fieldError ? 'field-error' : 'help'}>{fieldError ?? 'In your local time zone, within the last 30 days.'}</p>
        </div>
        <InlineError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={submitting}>{submitting ? 'Recovering…' : 'Recover deliveries'}</button>
        </div>
      </form>
    </Dialog>
  );
}
