import { onLinkClick, type Route } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import { LiveIndicator } from './LiveIndicator.tsx';

export function Header({ route }: { route: Route }) {
  const { user, logout } = useSession();
  const current = (name: Route['name']) => (route.name === name ? 'page' : undefined);
  return (
    <header className="top">
      <a className="brand" href="/" onClick={onLinkClick}>
        Gatehouse
      </a>
      <nav aria-label="Main" className="mainnav">
        <a href="/" onClick={onLinkClick} aria-current={current('queue')}>
          Queue
        </a>
        <a href="/history" onClick={onLinkClick} aria-current={current('history')}>
          History
        </a>
        <a href="/whitelist" onClick={onLinkClick} aria-current={current('whitelist')}>
          Whitelist
        </a>
        {['approver', 'auditor', 'admin'].some((role) => hasRole(user, role)) && (
          <a href="/grants" onClick={onLinkClick} aria-current={current('grants')}>
            Grants
          </a>
        )}
        {['approver', 'auditor', 'admin'].some((role) => hasRole(user, role)) && (
          <a href="/console" onClick={onLinkClick} aria-current={current('console') ?? current('backtest')}>
            Console
          </a>
        )}
        {hasRole(user, 'admin') && (
          <a href="/admin/users" onClick={onLinkClick} aria-current={current('admin')}>
            Admin
          </a>
        )}
      </nav>
      <LiveIndicator />
      <span className="who" title={user.roles.join(', ')}>
        {user.email}
      </span>
      <button type="button" className="link" onClick={() => void logout()}>
        Sign out
      </button>
    </header>
  );
}
