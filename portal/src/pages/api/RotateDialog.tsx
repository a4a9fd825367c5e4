import { useState, type FormEvent } from 'react';
import { keysApi } from '../../api/endpoints.ts';
import type { ApiKey, NewApiKey } from '../../api/types.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { InlineError } from '../../components/States.tsx';
import { formatGrace } from '../../lib/time.ts';

const GRACE_OPTIONS = [0, 3600, 86400, 3 * 86400, 7 * 86400];

interface Props {
  apiKey: ApiKey;
  onClose: () => void;
  onRotated: (created: NewApiKey, graceSeconds: number) => void;
}

export function RotateDialog({ apiKey, onClose, onRotated }: Props) {
  const [grace, setGrace] = useState(86400);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      onRotated(await keysApi.rotate(apiKey.id, grace), grace);
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Dialog title={`Rotate “${apiKey.name}”`} onClose={onClose}>
      <form onSubmit={onSubmit}>
        <p>
          A new key with the same name and scopes replaces <code>{apiKey.masked_key}</code>. The new key is shown once.
        </p>
        <div className="field">
          <label htmlFor="rotate-grace">Keep the old key working for</label>
          <select id="rotate-grace" value={grace} onChange={(e) => setGrace(Number(e.target.value))} aria-describedby="rotate-grace-help">
            {GRACE_OPTIONS.map((s) => (
              <option key={s} value={s}>{s === 0 ? 'No grace period (stop it now)' : formatGrace(s)}</option>
            ))}
          </select>
          <p id="rotate-grace-help" className="help">Time to deploy the new key before the old one stops working.</p>
        </div>
        <InlineError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={submitting}>{submitting ? 'Rotating…' : 'Rotate key'}</button>
        </div>
      </form>
    </Dialog>
  );
}
