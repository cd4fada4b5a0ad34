import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import type { Agent, User } from '../types.ts';
import { OnceSecret } from './OnceSecret.tsx';
import { messageOf, useList } from './useList.ts';

export function AdminAgents() {
  const { items, error, setError, reload } = useList<Agent>('/v1/agents');
  const users = useList<User>('/v1/users');
  const [name, setName] = useState('');
  // No default: the type picks a policy profile, so it is chosen, not inherited from a form.
  const [type, setType] = useState('');
  const [owner, setOwner] = useState('');
  const [environments, setEnvironments] = useState('');
  const [key, setKey] = useState<string | null>(null);
  const emailOf = (id: string | null) => users.items?.find((u) => u.id === id)?.email ?? id ?? '—';

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const bound = environments
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const created = await api.post<{ key: string }>('/v1/agents', {
        name,
        type,
        ...(owner ? { owner } : {}),
        ...(bound.length ? { environments: bound } : {}),
      });
      setKey(created.key);
      setName('');
      setType('');
      setEnvironments('');
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const revoke = async (agent: Agent) => {
    if (!window.confirm(`Revoke ${agent.name}? Its sessions end and its pending requests are cancelled.`))
      return;
    try {
      await api.post(`/v1/agents/${encodeURIComponent(agent.id)}/revoke`);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <div>
      {key && <OnceSecret label="Agent key" value={key} onDone={() => setKey(null)} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Create an agent">
        <label>
          Name
          <input required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Type
          <input
            name="type"
            required
            maxLength={64}
            pattern="[a-z0-9][a-z0-9_.\-]{0,63}"
            placeholder="e.g. ci, coding-agent, untrusted"
            title="Lower-case letters, digits, '.', '_' or '-'. It selects the policy's agent-type profile."
            value={type}
            onChange={(e) => setType(e.target.value)}
          />
        </label>
        <label>
          Owner
          <select value={owner} onChange={(e) => setOwner(e.target.value)}>
            <option value="">nobody</option>
            {(users.items ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environments
          <input
            value={environments}
            onChange={(e) => setEnvironments(e.target.value)}
            placeholder="e.g. prod, staging"
            title="Comma-separated; the first is used when a request names none. Empty: the agent states its own."
          />
        </label>
        <button type="submit" className="primary">
          Create agent
        </button>
      </form>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">type</th>
            <th scope="col">owner</th>
            <th scope="col">environments</th>
            <th scope="col">created</th>
            <th scope="col">state</th>
            <th scope="col">
              <span className="sr-only">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((agent) => (
            <tr key={agent.id}>
              <td>
                {agent.name} <span className="muted small">{agent.id}</span>
              </td>
              <td>{agent.type}</td>
              <td>{emailOf(agent.owner)}</td>
              <td>{agent.environments?.join(', ') ?? <span className="muted">stated by the agent</span>}</td>
              <td>{formatTime(agent.createdAt)}</td>
              <td>{agent.revokedAt ? `revoked ${formatTime(agent.revokedAt)}` : 'active'}</td>
              <td>
                {!agent.revokedAt && (
                  <button type="button" className="danger small" onClick={() => void revoke(agent)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
