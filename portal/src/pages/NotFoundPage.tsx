import { Link } from 'react-router';
import { EmptyState } from '../components/States.tsx';

export function NotFoundPage() {
  return (
    <>
      <h1>Page not found</h1>
      <EmptyState title="There is nothing at this address.">
        <p><Link to="/settings/api">Go to Settings → API</Link></p>
      </EmptyState>
    </>
  );
}
