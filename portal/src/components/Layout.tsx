// The signed-in frame: header (agency, plan, user, logout), navigation, and the page.
import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession, useSessionState } from '../auth/SessionContext.tsx';
import { TIER_LABEL } from '../lib/permissions.ts';
import { setMode, useMode } from '../lib/mode.ts';
import { AlertBanner } from './AlertBanner.tsx';

export function Layout() {
  const session = useSession();
  const { logout } = useSessionState();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);
  const mode = useMode();

  async function onLogout() {
    setSigningOut(true);
    try {
      await logout();
    } finally {
      navigate('/login', { replace: true });
    }
  }

  return (
    <div className={mode === 'test' ? 'app test-mode' : 'app'}>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="app-header">
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span>
          <span className="agency-name" data-testid="agency-name">{session.agency.name}</span>
          <span className="badge badge-info" data-testid="agency-tier" title="Your plan">
            {TIER_LABEL[session.agency.tier]} plan
          </span>
        </div>
        <label className="mode-switch" title="Test mode: test keys, test endpoints and sample data, apart from live ones">
          <input
            type="checkbox"
            role="switch"
            data-testid="test-mode-switch"
            checked={mode === 'test'}
            onChange={(event) => setMode(event.target.checked ? 'test' : 'live')}
          />
          Test mode
        </label>
        <div className="user">
          <span className="user-name" title={session.user.email}>
            {session.user.name || session.user.email}
            <span className="muted"> · {session.user.role}</span>
          </span>
          <button type="button" onClick={onLogout} disabled={signingOut}>
            {signingOut ? 'Signing out…' : 'Log out'}
          </button>
        </div>
      </header>
      {mode === 'test' && (
        <div className="test-mode-band" role="status" data-testid="test-mode-band">
          TEST MODE — you are viewing test data: faro_test_ keys, test webhook endpoints and sample events. Nothing here touches live data.
        </div>
      )}
      <AlertBanner />
      <div className="app-body">
        <nav className="app-nav" aria-label="Settings">
          <p className="nav-heading">Settings</p>
          <ul>
            <li><NavLink to="/settings/api">API</NavLink></li>
            <li><NavLink to="/settings/webhooks">Webhooks</NavLink></li>
            <li><NavLink to="/settings/audit-log">Audit log</NavLink></li>
            <li><NavLink to="/settings/logs">Logs</NavLink></li>
          </ul>
        </nav>
        <main id="main" className="app-main" tabIndex={-1}>
          {/* Keyed by mode: every page loads again from the other mode's data when it switches. */}
          <Outlet key={mode} />
        </main>
      </div>
    </div>
  );
}
