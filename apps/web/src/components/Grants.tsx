import type { GrantState, GrantView } from '@gatehouse/contract';
import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { countdown, formatTime, TIER_LABEL } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useLiveEvents } from '../live-context.tsx';
import { onLinkClick } from '../router.ts';
import { hasRole, useSession } from '../session.tsx';
import type { Agent } from '../types.ts';
import { messageOf, useList } from './useList.ts';

/** What a grant covers, in the words approvers read in the queue. */
export function scopeText(scope: GrantView['scope']): string {
  if (scope.type === 'connection') return `SQL on connection ${scope.connection}`;
  return `${scope.kind} commands matching ${JSON.stringify(scope.match)}`;
}

const STATES: (GrantState | 'all')[] = ['active', 'pending', 'expired', 'revoked', 'refused', 'all'];

/**
 * Just-in-time grants: the live ones with the time they have left, the others by state; an
 * admin asks for one on behalf of an agent (the person behind it cannot sign in as the agent)
 * and revokes. Approving happens in the queue, like any request.
 */
export function Grants() {
  const { user } = useSession();
  const [state, setState] = useState<GrantState | 'all'>('active');
  const { items, error, setError, reload } = useList<GrantView>(
    state === 'all' ? '/v1/grants' : `/v1/grants?state=${state}`,
  );
  const agents = useList<Agent>('/v1/agents');
  const agentName = (id: string) => agents.items?.find((a) => a.id === id)?.name ?? id;
  const now = useNow(1000);
  const admin = hasRole(user, 'admin');

  // Another replica or person changed a grant: re-read (the list is small).
  useLiveEvents((message) => {
    if (message.type === 'grant.changed' || message.type === 'grant.ended' || message.type === 'reconnected')
      void reload();
  });

  const revoke = async (grant: GrantView) => {
    if (
      !window.confirm(
        `Revoke ${grant.id}? It stops covering requests at once, and its brokered sessions close.`,
      )
    )
      return;
    try {
      await api.post(`/v1/grants/${encodeURIComponent(grant.id)}/revoke`);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section className="grants-page" aria-labelledby="grants-title">
      <h1 id="grants-title">Grants</h1>
      {admin && <RequestGrantForm agents={agents.items ?? []} onCreated={reload} onError={setError} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <label className="inline">
        Show{' '}
        <select name="state" value={state} onChange={(e) => setState(e.target.value as GrantState | 'all')}>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {items && items.length === 0 && <p className="empty">No {state === 'all' ? '' : `${state} `}grant.</p>}
      {items && items.length > 0 && (
        <div className="scroll-x">
          <table className="grid" aria-label="Grants">
            <thead>
              <tr>
                <th scope="col">grant</th>
                <th scope="col">agent</th>
                <th scope="col">scope</th>
                <th scope="col">up to</th>
                <th scope="col">time</th>
                <th scope="col">state</th>
              </tr>
            </thead>
            <tbody>
              {items.map((grant) => (
                <tr key={grant.id} data-grant-id={grant.id}>
                  <td className="nowrap">
                    <code>{grant.id}</code>
                    <div className="small">
                      <a href={`/requests/${encodeURIComponent(grant.requestId)}`} onClick={onLinkClick}>
                        its request
                      </a>
                    </div>
                  </td>
                  <td>{agentName(grant.agentId)}</td>
                  <td className="cmd-cell">
                    <code>{scopeText(grant.scope)}</code>
                    <div className="muted small">{grant.reason}</div>
                  </td>
                  <td>{TIER_LABEL[grant.ceiling]}</td>
                  <td className="nowrap">
                    {grant.state === 'active' ? (
                      <span className="countdown" data-testid="grant-left">
                        <span className="sr-only">time left </span>
                        {countdown(grant.endsAt, now)}
                      </span>
                    ) : grant.endsAt ? (
                      `until ${formatTime(grant.endsAt)}`
                    ) : (
                      `${grant.durationMinutes} min once approved`
                    )}
                  </td>
                  <td>
                    <span data-testid="grant-state">{grant.state}</span>
                    {grant.revokedAt && <div className="muted small">{formatTime(grant.revokedAt)}</div>}
                    {grant.state === 'active' && admin && (
                      <div>
                        <button type="button" className="danger small" onClick={() => void revoke(grant)}>
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

function RequestGrantForm({
  agents,
  onCreated,
  onError,
}: {
  agents: Agent[];
  onCreated(): Promise<void>;
  onError(message: string | null): void;
}) {
  const [agentId, setAgentId] = useState('');
  const [scopeType, setScopeType] = useState<'connection' | 'command'>('connection');
  const [connection, setConnection] = useState('');
  const [kind, setKind] = useState<'shell' | 'sql'>('shell');
  const [programs, setPrograms] = useState('');
  const [ceiling, setCeiling] = useState<'review' | 'multi_party'>('review');
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  // Suggestions only: the server checks the name (404 CONNECTION_NOT_FOUND).
  const connections = useList<{ name: string }>('/v1/connections');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const program = programs
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    try {
      const answer = await api.post<{ grant: GrantView }>(
        `/v1/agents/${encodeURIComponent(agentId)}/grants`,
        {
          scope:
            scopeType === 'connection'
              ? { type: 'connection', connection }
              : { type: 'command', kind, match: { program } },
          ceiling,
          durationMinutes: Number(minutes),
          reason,
        },
      );
      setCreated(answer.grant.requestId);
      setReason('');
      onError(null);
      await onCreated();
    } catch (failure) {
      onError(messageOf(failure));
    }
  };

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Ask for a grant">
      <label>
        For agent
        <select name="agent" required value={agentId} onChange={(e) => setAgentId(e.target.value)}>
          <option value="">choose…</option>
          {agents
            .filter((a) => !a.revokedAt)
            .map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
        </select>
      </label>
      <label>
        Scope
        <select
          name="scopeType"
          value={scopeType}
          onChange={(e) => setScopeType(e.target.value as 'connection' | 'command')}
        >
          <option value="connection">a connection</option>
          <option value="command">a command pattern</option>
        </select>
      </label>
      {scopeType === 'connection' ? (
        <label>
          Connection
          <input
            name="connection"
            required
            maxLength={64}
            pattern="[A-Za-z0-9][\w.\-]*"
            list="grant-connections"
            value={connection}
            onChange={(e) => setConnection(e.target.value)}
          />
          <datalist id="grant-connections">
            {(connections.items ?? []).map((c) => (
              <option key={c.name} value={c.name} />
            ))}
          </datalist>
        </label>
      ) : (
        <>
          <label>
            Kind
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'shell' | 'sql')}>
              <option value="shell">shell</option>
              <option value="sql">sql</option>
            </select>
          </label>
          <label>
            Programs
            <input
              name="programs"
              required
              placeholder="e.g. kubectl, helm (SQL: SELECT, UPDATE)"
              value={programs}
              onChange={(e) => setPrograms(e.target.value)}
            />
          </label>
        </>
      )}
      <label>
        Up to
        <select
          name="ceiling"
          value={ceiling}
          onChange={(e) => setCeiling(e.target.value as 'review' | 'multi_party')}
        >
          <option value="review">review (one approver)</option>
          <option value="multi_party">multi-party (two approvers)</option>
        </select>
      </label>
      <label>
        Minutes
        <input
          name="minutes"
          type="number"
          required
          min={1}
          max={10080}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
        />
      </label>
      <label>
        Reason
        <input
          name="reason"
          required
          maxLength={2048}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </label>
      <button type="submit">Ask for the grant</button>
      {created && (
        <p className="muted small" role="status">
          Asked: approvers decide{' '}
          <a href={`/requests/${encodeURIComponent(created)}`} onClick={onLinkClick}>
            its request
          </a>{' '}
          in the queue.
        </p>
      )}
    </form>
  );
}
