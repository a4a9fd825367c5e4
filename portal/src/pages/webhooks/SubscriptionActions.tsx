// Edit, enable/disable and delete for one subscription.
import { useState } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import type { EventType, Subscription } from '../../api/types.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { InlineError } from '../../components/States.tsx';
import { READ_ONLY_REASON } from '../../lib/permissions.ts';
import { SubscriptionFormDialog } from './SubscriptionFormDialog.tsx';

interface Props {
  subscription: Subscription;
  canWrite: boolean;
  eventTypes: EventType[] | undefined;
  eventTypesError: unknown;
  onRetryEventTypes: () => void;
  onUpdated: (sub: Subscription) => void;
  onDeleted: () => void;
}

export function SubscriptionActions({ subscription: s, canWrite, eventTypes, eventTypesError, onRetryEventTypes, onUpdated, onDeleted }: Props) {
  const [modal, setModal] = useState<'edit' | 'delete' | 'disable' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const reason = canWrite ? undefined : READ_ONLY_REASON;

  async function setEnabled(enabled: boolean) {
    setBusy(true);
    setError(null);
    try {
      onUpdated(await webhooksApi.update(s.id, { enabled }));
      setModal(null);
    } catch (err) {
      setError(err);
      if (!enabled) throw err;
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="toolbar">
      <button type="button" onClick={() => setModal('edit')} disabled={!canWrite} title={reason}>Edit</button>
      {s.enabled ? (
        <button type="button" onClick={() => setModal('disable')} disabled={!canWrite || busy} title={reason}>Disable</button>
      ) : (
        <button type="button" onClick={() => void setEnabled(true)} disabled={!canWrite || busy} title={reason}>
          {busy ? 'Enabling…' : 'Enable'}
        </button>
      )}
      <button type="button" className="danger" onClick={() => setModal('delete')} disabled={!canWrite} title={reason}>Delete</button>
      <InlineError error={modal ? null : error} />

      {modal === 'edit' && (
        <SubscriptionFormDialog
          initial={s}
          eventTypes={eventTypes}
          eventTypesError={eventTypesError}
          onRetryEventTypes={onRetryEventTypes}
          onClose={() => setModal(null)}
          onSaved={(updated) => {
            onUpdated(updated);
            setModal(null);
          }}
        />
      )}
      {modal === 'disable' && (
        <ConfirmDialog title="Disable this endpoint?" confirmLabel="Disable endpoint" busyLabel="Disabling…" onConfirm={() => setEnabled(false)} onClose={() => setModal(null)}>
          <p>FARO stops sending events to <code>{s.url}</code> until you enable it again. Events in the meantime are not delivered to it.</p>
        </ConfirmDialog>
      )}
      {modal === 'delete' && (
        <ConfirmDialog
          title="Delete this endpoint?"
          confirmLabel="Delete endpoint"
          busyLabel="Deleting…"
          danger
          onConfirm={async () => {
            await webhooksApi.remove(s.id);
            onDeleted();
          }}
          onClose={() => setModal(null)}
        >
          <p>
            <code>{s.url}</code> will stop receiving events and its pending deliveries are cancelled. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
