import { useEffect } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import { onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import type { Agent, WhitelistEntry } from '../types.ts';
import { messageOf, useList } from './useList.ts';
import { WhitelistReview } from './WhitelistReview.tsx';

/** Entries added with "approve and whitelist": what they match, whom they apply to, until when. */
export function Whitelist() {
  const { user } = useSession();
  const { items, error, setError, reload } = useList<WhitelistEntry>('/v1/whitelist');
  const agents = useList<Agent>('/v1/agents');
  const agentName = (id: string | null) => agents.items?.find((a) => a.id === id)?.name ?? id;

  // The decision panel links to `/whitelist#<id>`: bring that entry into view once it is listed.
  useEffect(() => {
    if (!items || !location.hash) return;
    document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView({ block: 'center' });
  }, [items]);

  const scopeText = (entry: WhitelistEntry) =>
    entry.scope === 'agent'
      ? `agent ${agentName(entry.scopeValue)}`
      : entry.scope === 'agent_type'
        ? `agent type ${entry.scopeValue}`
        : entry.scope === 'environment'
          ? `environment ${entry.scopeValue}`
          : 'every agent';

  const revoke = async (entry: WhitelistEntry) => {
    if (!window.confirm(`Revoke ${entry.id}? Requests it lowered to auto go to people again.`)) return;
    try {
      await api.post(`/v1/whitelist/${encodeURIComponent(entry.id)}/revoke`);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section className="whitelist-page" aria-labelledby="whitelist-title">
      <h1 id="whitelist-title">Whitelist</h1>
      <WhitelistReview />
      <h2>Added from decisions</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items && items.length === 0 && <p className="empty">No entry has been added from a decision.</p>}
      {items && items.length > 0 && (
        <div className="scroll-x">
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">entry</th>
                <th scope="col">pattern</th>
                <th scope="col">applies to</th>
                <th scope="col">added by</th>
                <th scope="col">expires</th>
                <th scope="col">state</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id} id={entry.id} className={location.hash === `#${entry.id}` ? 'target' : ''}>
                  <td className="nowrap">
                    <code>{entry.id}</code>
                    {entry.requestId && (
                      <div className="small">
                        <a href={`/requests/${encodeURIComponent(entry.requestId)}`} onClick={onLinkClick}>
                          from its request
                        </a>
                      </div>
                    )}
                  </td>
                  <td className="cmd-cell">
                    <code>{entry.command ?? JSON.stringify(entry.match)}</code>
                    <div className="muted small">{entry.reason}</div>
                  </td>
                  <td>{scopeText(entry)}</td>
                  <td>
                    {entry.createdBy.email}
                    <div className="muted small">{formatTime(entry.createdAt)}</div>
                  </td>
                  <td className="nowrap">{formatTime(entry.expiresAt)}</td>
                  <td>
                    {entry.active
                      ? 'active'
                      : entry.revokedAt
                        ? `revoked ${formatTime(entry.revokedAt)}`
                        : 'expired'}
                    {entry.active && hasRole(user, 'admin') && (
                      <div>
                        <button type="button" className="danger small" onClick={() => void revoke(entry)}>
                          Revoke
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
