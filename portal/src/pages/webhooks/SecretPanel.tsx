// The signing secret: reveal, copy, hide, rotate (the old one keeps signing for 24 h).
import { useRef, useState } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import type { RotatedSecret } from '../../api/types.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { InlineError } from '../../components/States.tsx';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';

export function SecretPanel({ subscriptionId, canWrite }: { subscriptionId: string; canWrite: boolean }) {
  const [secret, setSecret] = useState<string | null>(null);
  const [rotated, setRotated] = useState<RotatedSecret | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function reveal() {
    setLoading(true);
    setError(null);
    try {
      setSecret((await webhooksApi.secret(subscriptionId)).secret);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }

  async function rotate() {
    const result = await webhooksApi.rotateSecret(subscriptionId);
    setRotated(result);
    setSecret(result.secret);
    setConfirming(false);
  }

  return (
    <section className="card" aria-labelledby="signing-secret">
      <h2 id="signing-secret">Signing secret</h2>
      <p className="help">
        Use this secret to verify that requests come from FARO (Standard Webhooks signature in the <code>webhook-signature</code> header).
      </p>
      <div className="field">
        <label htmlFor="webhook-secret">Secret</label>
        <div className="input-with-button">
          <input
            id="webhook-secret"
            ref={inputRef}
            className="mono"
            readOnly
            value={secret ?? 'whsec_••••••••••••••••••••••••'}
            aria-describedby="webhook-secret-state"
          />
          {secret ? (
            <>
              <CopyButton text={secret} target={inputRef} label="Copy secret" />
              <button type="button" onClick={() => setSecret(null)}>Hide</button>
            </>
          ) : (
            // Revealing needs webhooks:write: the secret can sign requests as FARO.
            <button type="button" onClick={reveal} disabled={loading || !canWrite} title={canWrite ? undefined : READ_ONLY_REASON}>
              {loading ? 'Revealing…' : 'Reveal secret'}
            </button>
          )}
        </div>
        <p id="webhook-secret-state" className="visually-hidden">{secret ? 'The secret is shown.' : 'The secret is hidden.'}</p>
      </div>
      {rotated && (
        <p className="notice" role="status">
          Secret rotated. Requests are signed with both the new and the previous secret until the previous one expires
          {rotated.previous_secret_expires_at ? <> (<RelativeTime iso={rotated.previous_secret_expires_at} />)</> : ' (in 24 hours)'}, so
          you have time to update your receiver.
        </p>
      )}
      <InlineError error={error} />
      <button type="button" onClick={() => setConfirming(true)} disabled={!canWrite} title={canWrite ? undefined : READ_ONLY_REASON}>
        Rotate secret
      </button>
      {confirming && (
        <ConfirmDialog title="Rotate the signing secret?" confirmLabel="Rotate secret" busyLabel="Rotating…" onConfirm={rotate} onClose={() => setConfirming(false)}>
          <p>
            FARO generates a new secret. For the next 24 hours every request carries two signatures, one with the new secret and one
            with the current one, so your receiver keeps verifying while you update it.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
