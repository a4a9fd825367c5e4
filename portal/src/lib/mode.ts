// The test-mode switch: which mode the portal works in, kept in localStorage so a reload keeps
// it. The API client sends it as `Faro-Mode` on every call, and the server then resolves the
// agency's sandbox: test keys, test endpoints, test deliveries, never live ones.
import { useSyncExternalStore } from 'react';

export type Mode = 'live' | 'test';

const STORAGE_KEY = 'faro-mode';
const listeners = new Set<() => void>();

function stored(): Mode {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === 'test' ? 'test' : 'live';
  } catch {
    return 'live';
  }
}

let current: Mode = typeof window === 'undefined' ? 'live' : stored();

export function currentMode(): Mode {
  return current;
}

export function setMode(mode: Mode): void {
  current = mode;
  try {
    window.localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    // Private mode without storage: the switch still holds until the page is reloaded.
  }
  for (const listener of listeners) listener();
}

export function useMode(): Mode {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    currentMode,
    () => 'live' as Mode,
  );
}
