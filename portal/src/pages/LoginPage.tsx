import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { useSessionState } from '../auth/SessionContext.tsx';
import { InlineError, Loading } from '../components/States.tsx';

interface LoginLocationState {
  from?: string;
  expired?: boolean;
}

export function LoginPage() {
  const { state, login } = useSessionState();
  const navigate = useNavigate();
  const location = useLocation();
  const { from, expired } = (location.state ?? {}) as LoginLocationState;
  const target = from && from !== '/login' ? from : '/settings/api';

  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (state.status === 'loading') return <main className="centered"><Loading /></main>;
  if (state.status === 'authenticated') return <Navigate to={target} replace />;

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await login(email.trim(), password);
      navigate(target, { replace: true });
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  return (
    <main className="centered">
      <form className="card login" onSubmit={onSubmit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to FARO</h1>
        {expired && !error && <p className="notice" role="status">Your session has ended. Please sign in again.</p>}
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input
            id="login-email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <InlineError error={error} />
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
