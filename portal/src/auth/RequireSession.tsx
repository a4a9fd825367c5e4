import { Navigate, Outlet, useLocation } from 'react-router';
import { useSessionState } from './SessionContext.tsx';
import { ErrorState, Loading } from '../components/States.tsx';

/** Renders child routes only when signed in; otherwise sends the user to /login and back. */
export function RequireSession() {
  const { state, reload } = useSessionState();
  const location = useLocation();
  if (state.status === 'loading') return <main className="centered"><Loading label="Loading your session…" /></main>;
  if (state.status === 'error') {
    return (
      <main className="centered">
        <ErrorState error={state.error} onRetry={reload} />
      </main>
    );
  }
  if (state.status === 'anonymous') {
    const from = location.pathname + location.search;
    return <Navigate to="/login" replace state={{ from, expired: state.expired }} />;
  }
  return <Outlet />;
}
