// The full key, shown exactly once after it is generated or rotated.
import { useEffect, useRef } from 'react';
import type { ApiKey, NewApiKey } from '../../api/types.ts';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { formatGrace } from '../../lib/time.ts';
import { curlCommand, firstReadablePath } from './curl.ts';

interface Props {
  created: NewApiKey;
  /** Set when this key replaces a rotated one: the old key and how long it keeps working. */
  rotated?: { old: ApiKey; graceSeconds: number } | null;
  onClose: () => void;
}

export function ShowOncePanel({ created, rotated, onClose }: Props) {
  const inputRef = useRef<HTMLInputElement>(null);
  const curlRef = useRef<HTMLElement>(null);
  const tryPath = firstReadablePath(created.scopes);
  const tryCurl = tryPath ? curlCommand(created.key, tryPath) : null;
  useEffect(() => {
    inputRef.current?.select();
  }, []);

  return (
    <Dialog title={rotated ? 'Your rotated API key' : 'Your new API key'} onClose={onClose}>
      <div className="show-once" data-testid="show-once-panel">
        <p className="warning" role="alert">
          <strong>Copy this key now. It will not be shown again.</strong> FARO stores only a fingerprint of it.
          If you lose it, rotate the key or generate a new one.
        </p>
        <div className="field">
          <label htmlFor="new-api-key">API key “{created.name}”</label>
          <div className="input-with-button">
            <input id="new-api-key" ref={inputRef} className="mono" readOnly value={created.key} data-autofocus onFocus={(e) => e.target.select()} />
            <CopyButton text={created.key} target={inputRef} label="Copy key" />
          </div>
        </div>
        {tryCurl ? (
          <div className="field">
            <h3>Try it now</h3>
            <div className="code-block">
              <pre><code ref={curlRef} data-testid="show-once-curl">{tryCurl}</code></pre>
              <CopyButton text={tryCurl} target={curlRef} label="Copy command" />
            </div>
          </div>
        ) : (
          <p className="help">This key has no read scope, so there is no GET request to try; the API reference shows its requests.</p>
        )}
        {rotated && (
          <p className="help">
            {rotated.graceSeconds > 0
              ? `The previous key (${rotated.old.masked_key}) keeps working for ${formatGrace(rotated.graceSeconds).toLowerCase()}. Update your integration before then.`
              : `The previous key (${rotated.old.masked_key}) has stopped working.`}
          </p>
        )}
        <p className="help">Store it in a password manager or your platform's secret store, never in source code.</p>
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={onClose}>I have copied the key</button>
        </div>
      </div>
    </Dialog>
  );
}
