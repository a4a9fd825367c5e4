// Copies text with the Clipboard API; where that is unavailable or refused (plain http, old
// browsers), it selects the text in the target element so the user can press Ctrl/Cmd+C.
import { useEffect, useState, type RefObject } from 'react';

interface CopyButtonProps {
  text: string;
  /** The element showing the text, selected as a fallback. */
  target?: RefObject<HTMLElement | null>;
  label?: string;
}

export function selectContents(el: HTMLElement | null | undefined): void {
  if (!el) return;
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    el.focus();
    el.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

export function CopyButton({ text, target, label = 'Copy' }: CopyButtonProps) {
  const [status, setStatus] = useState<'idle' | 'copied' | 'selected'>('idle');

  useEffect(() => {
    if (status === 'idle') return;
    const t = setTimeout(() => setStatus('idle'), 2500);
    return () => clearTimeout(t);
  }, [status]);

  async function copy() {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('Clipboard API unavailable');
      await navigator.clipboard.writeText(text);
      setStatus('copied');
    } catch {
      selectContents(target?.current);
      setStatus('selected');
    }
  }

  return (
    <span className="copy">
      <button type="button" onClick={copy}>{label}</button>
      <span className="copy-status" role="status" aria-live="polite">
        {status === 'copied' ? 'Copied to clipboard' : status === 'selected' ? 'Selected: press Ctrl+C (⌘C) to copy' : ''}
      </span>
    </span>
  );
}
