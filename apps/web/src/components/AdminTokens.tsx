import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import type { User } from '../types.ts';
import { OnceSecret } from './OnceSecret.tsx';
import { messageOf, useList } from './useList.ts';

interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Personal API tokens for people who script against Gatehouse (CLI, automation). */
export function AdminTokens() {
  const users = useList<User>('/v1/users');
  const [userId, setUserId] = useState('');

  return (
    <div>
      {users.error && (
        <p className="error" role="alert">
          {users.error}
        </p>
      )}
      <label className="inline-form">
        Person
        <select value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">choose a person</option>
          {(users.items ?? []).map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
        </select>
      </label>
      {/* Keyed so that switching people starts from a clean list, form and error. */}
      {userId && <PersonTokens key={userId} userId={userId} />}
    </div>
  );
}

function PersonTokens({ userId }: { userId: string }) {
  const tokensPath = `/v1/users/${encodeURIComponent(userId)}/tokens`;
  const { items, error, setError, reload } = useList<ApiToken>(tokensPath);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const created = await api.post<{ token: string }>(tokensPath, { name });
      setSecret(created.token);
      setName('');
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const revoke = async (token: ApiToken) => {
    if (!window.confirm(`Revoke the token "${token.name}"? Scripts using it stop working at once.`)) return;
    try {
      await api.post(`/v1/tokens/${encodeURIComponent(token.id)}/revoke`);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <>
      {secret && <OnceSecret label="API token" value={secret} onDone={() => setSecret(null)} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Issue an API token">
        <label>
          Name
          <input
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="laptop CLI"
          />
        </label>
        <button type="submit" className="primary">
          Issue token
        </button>
      </form>
      {items && items.length === 0 && <p className="muted">No API tokens.</p>}
      {items && items.length > 0 && (
        <table className="grid">
          <caption>API tokens (the values are never shown again)</caption>
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">id</th>
              <th scope="col">created</th>
              <th scope="col">state</th>
            </tr>
          </thead>
          <tbody>
            {items.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.id}</code>
                </td>
                <td>{formatTime(token.createdAt)}</td>
                <td>
                  {token.revokedAt ? (
                    `revoked ${formatTime(token.revokedAt)}`
                  ) : (
                    <button type="button" className="danger small" onClick={() => void revoke(token)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
