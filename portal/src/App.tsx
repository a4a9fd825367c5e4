import type { ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { RequireSession } from './auth/RequireSession.tsx';
import { SessionProvider } from './auth/SessionContext.tsx';
import { Layout } from './components/Layout.tsx';
import { ApiSettingsPage } from './pages/ApiSettingsPage.tsx';
import { AuditLogPage } from './pages/AuditLogPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { LogsPage } from './pages/LogsPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { WebhookDetailPage } from './pages/WebhookDetailPage.tsx';
import { WebhooksPage } from './pages/WebhooksPage.tsx';
import { useDocumentTitle } from './lib/useDocumentTitle.ts';

function Titled({ title, children }: { title: string; children: ReactNode }) {
  useDocumentTitle(title);
  return children;
}

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<Titled title="Sign in"><LoginPage /></Titled>} />
          <Route element={<RequireSession />}>
            <Route element={<Layout />}>
              <Route index element={<Navigate to="/settings/api" replace />} />
              <Route path="/settings" element={<Navigate to="/settings/api" replace />} />
              <Route path="/settings/api" element={<Titled title="API"><ApiSettingsPage /></Titled>} />
              <Route path="/settings/webhooks" element={<Titled title="Webhooks"><WebhooksPage /></Titled>} />
              <Route path="/settings/webhooks/:id" element={<Titled title="Webhook endpoint"><WebhookDetailPage /></Titled>} />
              <Route path="/settings/audit-log" element={<Titled title="Audit log"><AuditLogPage /></Titled>} />
              <Route path="/settings/logs" element={<Titled title="Logs"><LogsPage /></Titled>} />
              <Route path="*" element={<Titled title="Not found"><NotFoundPage /></Titled>} />
            </Route>
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  );
}
