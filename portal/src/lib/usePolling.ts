import { useEffect, useRef } from 'react';

/** Calls `callback` every `ms` while `active` and the tab is visible. */
export function usePolling(active: boolean, callback: () => void, ms = 4000): void {
  const ref = useRef(callback);
  useEffect(() => {
    ref.current = callback;
  });
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') ref.current();
    }, ms);
    return () => clearInterval(t);
  }, [active, ms]);
}
