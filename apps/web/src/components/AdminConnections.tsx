import type { ConnectionGrantView, ConnectionView } from '@gatehouse/contract';
import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';
import type { Agent } from '../types.ts';
import { messageOf, useList } from './useList.ts';

type Engine = ConnectionView['engine'];

const DEFAULT_PORTS: Record<Engine, number> = { postgresql: 5432, mysql: 3306, mariadb: 3306 };

/** The address fields the create and edit forms share. */
interface Address {
  host: string;
  port: string;
  database: string;
  description: string;
  environment: string;
}

function AddressFields({ value, onChange }: { value: Address; onChange(next: Address): void }) {
  const set = (key: keyof Address) => (e: { target: { value: string } }) =>
    onChange({ ...value, [key]: e.target.value });
  return (
    <>
      <label className="grow">
        Host
        <input required maxLength={255} value={value.host} onChange={set('host')} />
      </label>
      <label>
        Port
        <input type="number" required min={1} max={65535} value={value.port} onChange={set('port')} />
      </label>
      <label>
        Database
        <input required maxLength={128} value={value.database} onChange={set('database')} />
      </label>
      <label>
        Environment
        <input maxLength={32} placeholder="any" value={value.environment} onChange={set('environment')} />
      </label>
      <label className="grow">
        Description
        <input maxLength={200} value={value.description} onChange={set('description')} />
      </label>
    </>
  );
}

/**
 * Database connections the gateway runs brokered SQL on, and which agents may use them. The
 * login is write-only: the server never answers it, so this page never holds more than what
 * the admin is typing, and an edit with the password left blank keeps the sealed one.
 */
export function AdminConnections() {
  const { items, error, setError, reload } = useList<ConnectionView>('/v1/connections');
  const agents = useList<Agent>('/v1/agents');
  const [name, setName] = useState('');
  const [engine, setEngine] = useState<Engine>('postgresql');
  const [address, setAddress] = useState<Address>({
    host: '',
    port: String(DEFAULT_PORTS.postgresql),
    database: '',
    description: '',
    environment: '',
  });
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [note, setNote] = useState<string | null>(null);

  const run = async (call: () => Promise<unknown>, done?: string) => {
    try {
      await call();
      await reload();
      setError(null);
      setNote(done ?? null);
    } catch (failure) {
      setNote(null);
      setError(messageOf(failure));
    }
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.post('/v1/connections', {
        name,
        engine,
        host: address.host,
        port: Number(address.port),
        database: address.database,
        user,
        password,
        ...(address.description ? { description: address.description } : {}),
        ...(address.environment ? { environment: address.environment } : {}),
      });
      setName('');
      setUser('');
      setPassword('');
      setAddress({ ...address, host: '', database: '', description: '', environment: '' });
    }, `Connection ${name} registered.`);
  };

  return (
    <section aria-labelledby="connections-title">
      <h2 id="connections-title">Connections</h2>
      <p className="muted small">
        Databases the gateway runs approved SQL on for agents (see <code>docs/broker.md</code>). The gateway
        holds the login, sealed under the master key; no page, answer or audit event shows it again.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      <form className="inline-form" onSubmit={create} aria-label="Register a connection">
        <label>
          Name
          <input
            required
            maxLength={64}
            title="letters, digits, dot, dash, underscore; agents and audit events use it"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          Engine
          <select
            value={engine}
            onChange={(e) => {
              const next = e.target.value as Engine;
              setEngine(next);
              setAddress({ ...address, port: String(DEFAULT_PORTS[next]) });
            }}
          >
            <option value="postgresql">PostgreSQL</option>
            <option value="mysql">MySQL</option>
            <option value="mariadb">MariaDB</option>
          </select>
        </label>
        <AddressFields value={address} onChange={setAddress} />
        <label>
          User
          <input
            required
            maxLength={128}
            autoComplete="off"
            value={user}
            onChange={(e) => setUser(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            maxLength={1024}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Register connection
        </button>
      </form>
      {items === null && !error && <p className="muted">Loading connections…</p>}
      {items?.length === 0 && <p className="muted">No connections yet.</p>}
      {(items ?? []).map((connection) => (
        <ConnectionCard key={connection.name} connection={connection} agents={agents.items ?? []} run={run} />
      ))}
    </section>
  );
}

function ConnectionCard({
  connection,
  agents,
  run,
}: {
  connection: ConnectionView;
  agents: Agent[];
  run(call: () => Promise<unknown>, done?: string): Promise<void>;
}) {
  const base = `/v1/connections/${encodeURIComponent(connection.name)}`;
  const grants = useList<ConnectionGrantView>(`${base}/grants`);
  const [editing, setEditing] = useState(false);
  const [address, setAddress] = useState<Address>(() => addressOf(connection));
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [grantee, setGrantee] = useState('');
  const titleId = `connection-${connection.name}`;
  const agentName = (id: string) => agents.find((a) => a.id === id)?.name ?? id;
  const live = agents.filter((a) => !a.revokedAt);
  const types = [...new Set(live.map((a) => a.type))].sort();

  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      // Only what is filled in is sent: a blank login field keeps the sealed value.
      await api.patch(base, {
        host: address.host,
        port: Number(address.port),
        database: address.database,
        description: address.description,
        environment: address.environment || null,
        ...(user ? { user } : {}),
        ...(password ? { password } : {}),
      });
      setUser('');
      setPassword('');
      setEditing(false);
    }, `Connection ${connection.name} saved.`);
  };

  const grant = (event: FormEvent) => {
    event.preventDefault();
    const [kind, value] = [grantee.slice(0, grantee.indexOf(':')), grantee.slice(grantee.indexOf(':') + 1)];
    void run(
      async () => {
        await api.post(`${base}/grants`, kind === 'type' ? { agentType: value } : { agentId: value });
        setGrantee('');
        await grants.reload();
      },
      `Granted ${connection.name} to ${kind === 'type' ? `every ${value} agent` : agentName(value)}.`,
    );
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid="connection">
      <h3 id={titleId} className="mono">
        {connection.name}
      </h3>
      <p className="muted small">
        {connection.engine} · {connection.host}:{connection.port}/{connection.database}
        {connection.environment && <> · environment {connection.environment}</>}
        {connection.description && <> · {connection.description}</>} · updated{' '}
        {formatTime(connection.updatedAt)}
      </p>
      <div className="actions">
        <button
          type="button"
          aria-expanded={editing}
          onClick={() => {
            setAddress(addressOf(connection));
            setEditing((v) => !v);
          }}
        >
          {editing ? 'Cancel edit' : 'Edit'}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            if (window.confirm(`Delete the connection ${connection.name}? Its grants go; its history stays.`))
              void run(() => api.delete(base), `Connection ${connection.name} deleted.`);
          }}
        >
          Delete
        </button>
      </div>
      {editing && (
        <form className="inline-form" onSubmit={save} aria-label={`Edit ${connection.name}`}>
          <AddressFields value={address} onChange={setAddress} />
          <label>
            New user
            <input
              maxLength={128}
              autoComplete="off"
              placeholder="leave blank to keep"
              value={user}
              onChange={(e) => setUser(e.target.value)}
            />
          </label>
          <label>
            New password
            <input
              type="password"
              maxLength={1024}
              autoComplete="new-password"
              placeholder="leave blank to keep"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            Save
          </button>
        </form>
      )}
      <h4>Granted to</h4>
      {grants.error && (
        <p className="error" role="alert">
          {grants.error}
        </p>
      )}
      {grants.items === null && !grants.error && <p className="muted">Loading grants…</p>}
      {grants.items?.length === 0 && <p className="muted">No agent may use it yet.</p>}
      {grants.items && grants.items.length > 0 && (
        <ul aria-label={`Grants of ${connection.name}`}>
          {grants.items.map((g) => (
            <li key={g.id} data-testid="connection-grant">
              {g.agentId ? `agent ${agentName(g.agentId)}` : `every agent of type ${g.agentType}`}{' '}
              <span className="muted small">
                by {g.createdBy}, {formatTime(g.createdAt)}
              </span>{' '}
              <button
                type="button"
                className="small"
                onClick={() =>
                  void run(async () => {
                    await api.delete(`${base}/grants/${encodeURIComponent(g.id)}`);
                    await grants.reload();
                  }, 'Grant revoked.')
                }
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={grant} aria-label={`Grant ${connection.name}`}>
        <label>
          Agent or type
          <select required value={grantee} onChange={(e) => setGrantee(e.target.value)}>
            <option value="">choose…</option>
            <optgroup label="Agents">
              {live.map((a) => (
                <option key={a.id} value={`agent:${a.id}`}>
                  {a.name} ({a.type})
                </option>
              ))}
            </optgroup>
            <optgroup label="Every agent of a type">
              {types.map((t) => (
                <option key={t} value={`type:${t}`}>
                  type {t}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <button type="submit" disabled={!grantee}>
          Grant
        </button>
      </form>
    </section>
  );
}

function addressOf(c: ConnectionView): Address {
  return {
    host: c.host,
    port: String(c.port),
    database: c.database,
    description: c.description,
    environment: c.environment ?? '',
  };
}
