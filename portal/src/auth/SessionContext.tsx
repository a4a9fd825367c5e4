// Who is signed in: loaded once from /portal/api/me, set by login, cleared by logout or any 401.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiProblem, setCsrfToken, setUnauthorizedHandler } from '../api/client.ts';
import { sessionApi } from '../api/endpoints.ts';
import type { Session } from '../api/types.ts';

type State =
  | { status: 'loading' }
  | { status: 'anonymous'; expired: boolean }
  | { status: 'error'; error: unknown }
  | { status: 'authenticated'; session: Session };

interface SessionContextValue {
  state: State;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  reload: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  const apply = useCallback((session: Session | null, expired = false) => {
    setCsrfToken(session?.csrf_token ?? null);
    setState(session ? { status: 'authenticated', session } : { status: 'anonymous', expired });
  }, []);

  useEffect(() => {
    let cancelled = false;
    sessionApi.me().then(
      (session) => { if (!cancelled) apply(session); },
      (err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiProblem && err.status === 401) apply(null);
        else setState({ status: 'error', error: err });
      },
    );
    return () => { cancelled = true; };
  }, [apply, attempt]);

  useEffect(() => {
    setUnauthorizedHandler(() => apply(null, true));
    return () => setUnauthorizedHandler(null);
  }, [apply]);

  const login = useCallback(async (email: string, password: string) => {
    apply(await sessionApi.login(email, password));
  }, [apply]);

  const logout = useCallback(async () => {
    try {
      await sessionApi.logout();
    } finally {
      apply(null);
    }
  }, [apply]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo(() => ({ state, login, logout, reload }), [state, login, logout, reload]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSessionState(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSessionState must be used inside <SessionProvider>');
  return ctx;
}

/** The signed-in session; only for components rendered under <RequireSession>. */
export function useSession(): Session {
  const { state } = useSessionState();
  if (state.status !== 'authenticated') throw new Error('useSession needs an authenticated session');
  return state.session;
}
