import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import type { User } from '../types.ts';
import { OnceSecret } from './OnceSecret.tsx';
import { messageOf, useList } from './useList.ts';

const ROLES = ['approver', 'auditor', 'admin'] as const;

export function AdminUsers() {
  const { items, error, setError, reload } = useList<User>('/v1/users');
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<string[]>(['approver']);
  const [password, setPassword] = useState('');
  const [secret, setSecret] = useState<string | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const created = await api.post<{ token?: string }>('/v1/users', {
        email,
        roles,
        ...(password ? { password } : {}),
      });
      setEmail('');
      setPassword('');
      if (created.token) setSecret(created.token);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const disable = async (user: User) => {
    if (!window.confirm(`Disable ${user.email}? They can no longer sign in or decide.`)) return;
    try {
      await api.post(`/v1/users/${encodeURIComponent(user.id)}/disable`);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <div>
      {secret && <OnceSecret label="Personal API token" value={secret} onDone={() => setSecret(null)} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Add a user">
        <label>
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <fieldset>
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <label key={role} className="check">
              <input
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(e) =>
                  setRoles((r) => (e.target.checked ? [...r, role] : r.filter((x) => x !== role)))
                }
              />
              {role}
            </label>
          ))}
        </fieldset>
        <label>
          Password (local sign-in, optional)
          <input
            type="password"
            autoComplete="new-password"
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Add user
        </button>
      </form>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">email</th>
            <th scope="col">roles</th>
            <th scope="col">groups</th>
            <th scope="col">state</th>
            <th scope="col">
              <span className="sr-only">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((user) => (
            <tr key={user.id}>
              <td>{user.email}</td>
              <td>{user.roles.join(', ')}</td>
              <td>{(user.groups ?? []).join(', ')}</td>
              <td>{user.disabledAt ? 'disabled' : 'active'}</td>
              <td>
                {!user.disabledAt && (
                  <button type="button" className="danger small" onClick={() => void disable(user)}>
                    Disable
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
