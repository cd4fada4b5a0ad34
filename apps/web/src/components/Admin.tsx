import { onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import { AdminAgents } from './AdminAgents.tsx';
import { AdminConnections } from './AdminConnections.tsx';
import { AdminGroups } from './AdminGroups.tsx';
import { AdminNotifications } from './AdminNotifications.tsx';
import { AdminTokens } from './AdminTokens.tsx';
import { AdminUsers } from './AdminUsers.tsx';

const TABS = [
  ['users', 'Users'],
  ['groups', 'Groups'],
  ['agents', 'Agents'],
  ['tokens', 'API tokens'],
  ['notifications', 'Webhooks & Slack'],
  ['connections', 'Connections'],
] as const;

export function Admin({ tab }: { tab: (typeof TABS)[number][0] }) {
  const { user } = useSession();
  if (!hasRole(user, 'admin')) return <p className="page-status">Only administrators can open this page.</p>;
  return (
    <section className="admin">
      <h1>Administration</h1>
      <nav className="tabs" aria-label="Administration">
        {TABS.map(([id, label]) => (
          <a
            key={id}
            href={`/admin/${id}`}
            onClick={onLinkClick}
            aria-current={tab === id ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      {tab === 'users' && <AdminUsers />}
      {tab === 'groups' && <AdminGroups />}
      {tab === 'agents' && <AdminAgents />}
      {tab === 'tokens' && <AdminTokens />}
      {tab === 'notifications' && <AdminNotifications />}
      {tab === 'connections' && <AdminConnections />}
    </section>
  );
}
