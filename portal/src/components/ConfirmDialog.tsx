// "Are you sure?" for destructive or disruptive actions; Cancel has the initial focus.
import { useState, type ReactNode } from 'react';
import { Dialog } from './Dialog.tsx';
import { InlineError } from './States.tsx';

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, busyLabel, danger, onConfirm, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      <InlineError error={error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-autofocus>Cancel</button>
        <button type="button" className={danger ? 'danger' : 'primary'} onClick={confirm} disabled={busy}>
          {busy ? (busyLabel ?? 'Working…') : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
