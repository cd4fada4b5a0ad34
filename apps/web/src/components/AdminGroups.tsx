import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import type { Group, User } from '../types.ts';
import { messageOf, useList } from './useList.ts';

function memberId(member: Group['members'][number]): string {
  return typeof member === 'string' ? member : member.id;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function AdminGroups() {
  const { items, error, setError, reload } = useList<Group>('/v1/groups');
  const users = useList<User>('/v1/users');
  const [name, setName] = useState('');
  const [environments, setEnvironments] = useState('');
  const [kinds, setKinds] = useState<string[]>([]);
  const [escalatesTo, setEscalatesTo] = useState('');
  const emailOf = (id: string) => users.items?.find((u) => u.id === id)?.email ?? id;
  const groupName = (id: string | null) => items?.find((g) => g.id === id)?.name ?? id ?? '—';

  const run = async (call: () => Promise<unknown>) => {
    try {
      await call();
      setError(null);
      await reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    const envs = splitList(environments);
    void run(async () => {
      await api.post('/v1/groups', {
        name,
        ...(envs.length ? { environments: envs } : {}),
        ...(kinds.length ? { kinds } : {}),
        ...(escalatesTo ? { escalatesTo } : {}),
      });
      setName('');
      setEnvironments('');
      setKinds([]);
    });
  };

  return (
    <div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Create a group">
        <label>
          Name
          <input required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Environments (comma separated; empty for all)
          <input
            value={environments}
            onChange={(e) => setEnvironments(e.target.value)}
            placeholder="prod, staging"
          />
        </label>
        <fieldset>
          <legend>Kinds (none for all)</legend>
          {['shell', 'sql'].map((kind) => (
            <label key={kind} className="check">
              <input
                type="checkbox"
                checked={kinds.includes(kind)}
                onChange={(e) =>
                  setKinds((k) => (e.target.checked ? [...k, kind] : k.filter((x) => x !== kind)))
                }
              />
              {kind}
            </label>
          ))}
        </fieldset>
        <label>
          Escalates to
          <select value={escalatesTo} onChange={(e) => setEscalatesTo(e.target.value)}>
            <option value="">no escalation</option>
            {(items ?? []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Create group
        </button>
      </form>
      {(items ?? []).map((group) => (
        <GroupCard
          key={group.id}
          group={group}
          users={users.items ?? []}
          emailOf={emailOf}
          escalation={groupName(group.escalatesTo)}
          onAdd={(userId) =>
            run(() => api.post(`/v1/groups/${encodeURIComponent(group.id)}/members`, { userId }))
          }
          onRemove={(userId) =>
            run(() =>
              api.delete(`/v1/groups/${encodeURIComponent(group.id)}/members/${encodeURIComponent(userId)}`),
            )
          }
        />
      ))}
    </div>
  );
}

function GroupCard({
  group,
  users,
  emailOf,
  escalation,
  onAdd,
  onRemove,
}: {
  group: Group;
  users: User[];
  emailOf(id: string): string;
  escalation: string;
  onAdd(userId: string): Promise<void>;
  onRemove(userId: string): Promise<void>;
}) {
  const [adding, setAdding] = useState('');
  const members = group.members.map(memberId);
  return (
    <section className="card" aria-labelledby={`group-${group.id}`}>
      <h2 id={`group-${group.id}`}>{group.name}</h2>
      <p className="muted small">
        environments: {group.environments?.join(', ') || 'all'} · kinds: {group.kinds?.join(', ') || 'all'} ·
        escalates to: {escalation}
      </p>
      <ul className="members">
        {members.map((id) => (
          <li key={id}>
            {emailOf(id)}{' '}
            <button
              type="button"
              className="link"
              onClick={() => void onRemove(id)}
              aria-label={`Remove ${emailOf(id)}`}
            >
              remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (adding) void onAdd(adding).then(() => setAdding(''));
        }}
      >
        <label>
          Add member
          <select value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">choose a person</option>
            {users
              .filter((u) => !members.includes(u.id))
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
          </select>
        </label>
        <button type="submit">Add</button>
      </form>
    </section>
  );
}
