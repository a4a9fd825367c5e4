// Create or edit a subscription: URL, events from the catalog, description, enabled.
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/client.ts';
import { webhooksApi } from '../../api/endpoints.ts';
import type { EventType, SubscribedEvent, Subscription } from '../../api/types.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorState, InlineError, Loading } from '../../components/States.tsx';
import { TextWithCode } from '../../components/TextWithCode.tsx';

interface Props {
  initial?: Subscription;
  eventTypes: EventType[] | undefined;
  eventTypesError: unknown;
  onRetryEventTypes: () => void;
  onClose: () => void;
  onSaved: (sub: Subscription) => void;
}

function checkUrl(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https://';
    return null;
  } catch {
    return 'Enter a full URL, e.g. https://example.com/webhooks/faro';
  }
}

export function SubscriptionFormDialog({ initial, eventTypes, eventTypesError, onRetryEventTypes, onClose, onSaved }: Props) {
  const [url, setUrl] = useState(initial?.url ?? '');
  const [all, setAll] = useState(initial?.events.includes('*') ?? false);
  const [events, setEvents] = useState<Set<string>>(new Set(initial?.events.filter((e) => e !== '*') ?? []));
  const [description, setDescription] = useState(initial?.description ?? '');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  const catalog = (eventTypes ?? []).filter((t): t is EventType & { type: SubscribedEvent } => t.type !== 'webhook.test');
  const serverFields = error instanceof ApiProblem ? error.fieldErrors() : {};
  const urlError = localErrors.url ?? serverFields.url ?? (error instanceof ApiProblem && error.code === 'invalid_webhook_url' ? error.detail : undefined);
  const eventsError = localErrors.events ?? serverFields.events;
  const generalError = error && !urlError && !eventsError && !serverFields.description ? error : null;

  function toggle(type: string) {
    setLocalErrors(({ events: _events, ...rest }) => rest);
    setEvents((prev) => {
      const next = new Set(prev);
      if (next.has(type)) next.delete(type);
      else next.add(type);
      return next;
    });
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const urlProblem = checkUrl(url.trim());
    if (urlProblem) errs.url = urlProblem;
    if (!all && events.size === 0) errs.events = 'Choose at least one event, or all events.';
    setLocalErrors(errs);
    setError(null);
    if (Object.keys(errs).length > 0) return;
    setSubmitting(true);
    const everything: SubscribedEvent[] = ['*'];
    const input = {
      url: url.trim(),
      events: all ? everything : catalog.map((t) => t.type).filter((t) => events.has(t)),
      description: description.trim(),
      enabled,
    };
    try {
      onSaved(initial ? await webhooksApi.update(initial.id, input) : await webhooksApi.create(input));
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <Dialog title={initial ? 'Edit webhook endpoint' : 'Add webhook endpoint'} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate>
        <div className="field">
          <label htmlFor="webhook-url">Endpoint URL</label>
          <input
            id="webhook-url"
            type="url"
            inputMode="url"
            placeholder="https://example.com/webhooks/faro"
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              setLocalErrors(({ url: _url, ...rest }) => rest);
            }}
            aria-invalid={urlError ? true : undefined}
            aria-describedby="webhook-url-help"
          />
          <p id="webhook-url-help" className={urlError ? 'field-error' : 'help'} role={urlError ? 'alert' : undefined}>
            {urlError ?? 'FARO sends a signed POST request here for each event. It must be a public https:// URL.'}
          </p>
        </div>
        <fieldset className="field">
          <legend>Events</legend>
          <div className="check-row">
            <input type="checkbox" id="events-all" checked={all} onChange={(e) => setAll(e.target.checked)} />
            <label htmlFor="events-all">All events, including ones added later</label>
          </div>
          {eventTypesError ? (
            <ErrorState error={eventTypesError} onRetry={onRetryEventTypes} />
          ) : !eventTypes ? (
            <Loading label="Loading event types…" />
          ) : (
            <ul className="checklist">
              {catalog.map((t) => (
                <li key={t.type}>
                  <input
                    type="checkbox"
                    id={`event-${t.type}`}
                    checked={all || events.has(t.type)}
                    disabled={all}
                    onChange={() => toggle(t.type)}
                    aria-describedby={`event-${t.type}-desc`}
                  />
                  <label htmlFor={`event-${t.type}`}><code>{t.type}</code></label>
                  <span id={`event-${t.type}-desc`} className="help"><TextWithCode text={t.description} /></span>
                </li>
              ))}
            </ul>
          )}
          {eventsError && <p className="field-error" role="alert">{eventsError}</p>}
        </fieldset>
        <div className="field">
          <label htmlFor="webhook-description">Description (optional)</label>
          <input id="webhook-description" value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
          {serverFields.description && <p className="field-error">{serverFields.description}</p>}
        </div>
        <div className="check-row">
          <input type="checkbox" id="webhook-enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <label htmlFor="webhook-enabled">Enabled</label>
        </div>
        <InlineError error={generalError} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={submitting}>
            {submitting ? 'Saving…' : initial ? 'Save changes' : 'Add endpoint'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
