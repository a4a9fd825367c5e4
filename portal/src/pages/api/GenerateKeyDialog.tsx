import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/client.ts';
import { keysApi } from '../../api/endpoints.ts';
import type { NewApiKey, ScopeInfo } from '../../api/types.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { TextWithCode } from '../../components/TextWithCode.tsx';
import { ErrorState, InlineError, Loading } from '../../components/States.tsx';
import { fromLocalInputValue, toLocalInputValue } from '../../lib/time.ts';

interface Props {
  scopes: ScopeInfo[] | undefined;
  scopesError: unknown;
  onRetryScopes: () => void;
  onClose: () => void;
  onCreated: (key: NewApiKey) => void;
}

export function GenerateKeyDialog({ scopes, scopesError, onRetryScopes, onClose, onCreated }: Props) {
  const [name, setName] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [expiry, setExpiry] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});

  const fieldErrors = { ...(error instanceof ApiProblem ? error.fieldErrors() : {}), ...localErrors };
  const tomorrow = toLocalInputValue(new Date(Date.now() + 86_400_000)).slice(0, 10);

  /** Replaces the selection by every scope that `pick` keeps (the shortcuts above the list). */
  function selectWhere(pick: (scope: string) => boolean) {
    setLocalErrors(({ scopes: _scopes, ...rest }) => rest);
    setSelected(new Set((scopes ?? []).map((s) => s.scope).filter(pick)));
  }

  function toggle(scope: string) {
    setLocalErrors(({ scopes: _scopes, ...rest }) => rest);
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(scope)) next.delete(scope);
      else next.add(scope);
      return next;
    });
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Give the key a name, e.g. the integration that will use it.';
    if (selected.size === 0) errs.scopes = 'Choose at least one scope.';
    const expiresAt = expiry ? fromLocalInputValue(expiry) : undefined;
    if (expiry && !expiresAt) errs.expires_at = 'Enter a valid date.';
    setLocalErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setSubmitting(true);
    setError(null);
    try {
      const scopesInOrder = (scopes ?? []).map((s) => s.scope).filter((s) => selected.has(s));
      const created = await keysApi.create({ name: name.trim(), scopes: scopesInOrder, ...(expiresAt ? { expires_at: expiresAt } : {}) });
      onCreated(created);
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Dialog title="Generate API key" onClose={onClose}>
      <form onSubmit={onSubmit} noValidate>
        <div className="field">
          <label htmlFor="key-name">Name</label>
          <input
            id="key-name"
            value={name}
            maxLength={100}
            onChange={(e) => {
              setName(e.target.value);
              setLocalErrors(({ name: _name, ...rest }) => rest);
            }}
            aria-invalid={fieldErrors.name ? true : undefined}
            aria-describedby="key-name-help"
          />
          <p id="key-name-help" className={fieldErrors.name ? 'field-error' : 'help'}>
            {fieldErrors.name ?? 'Something that tells you where the key is used, e.g. "CRM sync".'}
          </p>
        </div>
        <fieldset className="field">
          <legend>Scopes</legend>
          {scopesError ? (
            <ErrorState error={scopesError} onRetry={onRetryScopes} />
          ) : !scopes ? (
            <Loading label="Loading scopes…" />
          ) : (
            <>
              <div className="toolbar scope-shortcuts">
                <button type="button" onClick={() => selectWhere((scope) => scope.endsWith(':read'))}>All read scopes</button>
                <button type="button" onClick={() => selectWhere(() => true)}>All scopes</button>
                <button type="button" onClick={() => selectWhere(() => false)} disabled={selected.size === 0}>Clear</button>
              </div>
              <ul className="checklist">
                {scopes.map((s) => (
                  <li key={s.scope}>
                    <input
                      type="checkbox"
                      id={`scope-${s.scope}`}
                      checked={selected.has(s.scope)}
                      onChange={() => toggle(s.scope)}
                      aria-describedby={`scope-${s.scope}-desc`}
                    />
                    <label htmlFor={`scope-${s.scope}`}><code>{s.scope}</code></label>
                    <span id={`scope-${s.scope}-desc`} className="help"><TextWithCode text={s.description} /></span>
                  </li>
                ))}
              </ul>
            </>
          )}
          {fieldErrors.scopes && <p className="field-error">{fieldErrors.scopes}</p>}
        </fieldset>
        <div className="field">
          <label htmlFor="key-expiry">Expires on (optional)</label>
          <input id="key-expiry" type="date" min={tomorrow} value={expiry} onChange={(e) => setExpiry(e.target.value)} aria-describedby="key-expiry-help" />
          <p id="key-expiry-help" className={fieldErrors.expires_at ? 'field-error' : 'help'}>
            {fieldErrors.expires_at ?? 'Leave empty for a key that does not expire. The key stops working at the end of that day.'}
          </p>
        </div>
        <InlineError error={error instanceof ApiProblem && Object.keys(error.fieldErrors()).length > 0 ? null : error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={submitting || !scopes}>
            {submitting ? 'Generating…' : 'Generate key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
