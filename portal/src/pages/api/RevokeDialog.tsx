import { useState } from 'react';
import { keysApi } from '../../api/endpoints.ts';
import type { ApiKey } from '../../api/types.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { InlineError } from '../../components/States.tsx';

interface Props {
  apiKey: ApiKey;
  onClose: () => void;
  onRevoked: (key: ApiKey) => void;
}

export function RevokeDialog({ apiKey, onClose, onRevoked }: Props) {
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function revoke() {
    setSubmitting(true);
    setError(null);
    try {
      onRevoked(await keysApi.revoke(apiKey.id));
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Dialog title={`Revoke “${apiKey.name}”?`} onClose={onClose}>
      <p>
        Any integration using <code>{apiKey.masked_key}</code> (“{apiKey.name}”) will get <strong>401 Unauthorized</strong>{' '}
        from its next request. This cannot be undone.
      </p>
      <InlineError error={error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-autofocus>Cancel</button>
        <button type="button" className="danger" onClick={revoke} disabled={submitting}>
          {submitting ? 'Revoking…' : `Revoke “${apiKey.name}”`}
        </button>
      </div>
    </Dialog>
  );
}
