import type {
  ConnectionGrantView,
  ConnectionView,
  CreateConnectionBody,
  CreateConnectionGrantBody,
  UpdateConnectionBody,
} from '@gatehouse/contract';
import { schema } from '@gatehouse/db';
import { and, eq, isNull, or } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { closeConnectionSessions } from '../broker/pool.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type Credentials, openCredentials, sealCredentials } from './credentials.ts';

export type { ConnectionRow } from './row.ts';

import type { ConnectionRow } from './row.ts';

type GrantRow = typeof schema.connectionGrants.$inferSelect;

/** A connection's public face: where it points, never who it logs in as or with what. */
export function connectionView(row: ConnectionRow): ConnectionView {
  return {
    name: row.name,
    engine: row.engine,
    host: row.host,
    port: row.port,
    database: row.database,
    description: row.description,
    environment: row.environment,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * What the audit log keeps of a connection: its address, no login. The audit log is read by
 * auditors and exported; the password must never be in it, and the user name is left out too
 * (it tells an attacker which account to go after).
 */
function evidence(
  row: Pick<ConnectionRow, 'name' | 'engine' | 'host' | 'port' | 'database' | 'environment'>,
) {
  return {
    name: row.name,
    engine: row.engine,
    host: row.host,
    port: row.port,
    database: row.database,
    environment: row.environment,
  };
}

type Reader = Pick<Runtime['database'], 'db'>['db'];

export async function findConnection(db: Reader, name: string): Promise<ConnectionRow> {
  const [row] = await db
    .select()
    .from(schema.connections)
    .where(and(eq(schema.connections.name, name), isNull(schema.connections.deletedAt)));
  if (!row) throw new GatehouseError('CONNECTION_NOT_FOUND', `no connection named ${name}`);
  return row;
}

export async function listConnections(rt: Runtime): Promise<ConnectionView[]> {
  const rows = await rt.database.db
    .select()
    .from(schema.connections)
    .where(isNull(schema.connections.deletedAt))
    .orderBy(schema.connections.name);
  return rows.map(connectionView);
}

export async function getConnection(rt: Runtime, name: string): Promise<ConnectionView> {
  return connectionView(await findConnection(rt.database.db, name));
}

export async function createConnection(
  rt: Runtime,
  by: Principal,
  body: CreateConnectionBody,
): Promise<ConnectionView> {
  const id = newId('con');
  const now = new Date();
  const row: ConnectionRow = {
    id,
    name: body.name,
    engine: body.engine,
    host: body.host,
    port: body.port,
    database: body.database,
    description: body.description ?? '',
    environment: body.environment ?? null,
    credentialsEnc: sealCredentials(rt, id, { user: body.user, password: body.password }),
    createdBy: by.id,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  await rt.audit.transaction(async (tx, record) => {
    const inserted = await tx
      .insert(schema.connections)
      .values(row)
      .onConflictDoNothing()
      .returning({ id: schema.connections.id });
    if (inserted.length === 0)
      throw new GatehouseError('CONNECTION_EXISTS', `a connection named ${body.name} already exists`);
    record({
      type: 'connection.created',
      actor: actorOf(by),
      subject: { type: 'connection', id },
      data: evidence(row),
    });
  });
  return connectionView(row);
}

export async function updateConnection(
  rt: Runtime,
  by: Principal,
  name: string,
  body: UpdateConnectionBody,
): Promise<ConnectionView> {
  let id: string | undefined;
  const view = await rt.audit.transaction(async (tx, record) => {
    const current = await findConnection(tx, name);
    id = current.id;
    const changes: Partial<ConnectionRow> = { updatedAt: new Date() };
    if (body.host !== undefined) changes.host = body.host;
    if (body.port !== undefined) changes.port = body.port;
    if (body.database !== undefined) changes.database = body.database;
    if (body.description !== undefined) changes.description = body.description;
    if (body.environment !== undefined) changes.environment = body.environment;
    const loginChanged = body.user !== undefined || body.password !== undefined;
    if (loginChanged) {
      const login = openCredentials(rt, current.id, current.credentialsEnc);
      changes.credentialsEnc = sealCredentials(rt, current.id, {
        user: body.user ?? login.user,
        password: body.password ?? login.password,
      });
    }
    const [row] = await tx
      .update(schema.connections)
      .set(changes)
      .where(eq(schema.connections.id, current.id))
      .returning();
    record({
      type: 'connection.updated',
      actor: actorOf(by),
      subject: { type: 'connection', id: current.id },
      // Which fields changed, and the new address; a new login is only said to have changed.
      data: {
        ...evidence(row!),
        changed: Object.keys(body).sort(),
        loginChanged,
      },
    });
    return connectionView(row!);
  });
  // Sessions logged in with the old login or to the old address are not reused (the broker also
  // compares each session's login with the row's, which is what other replicas rely on).
  if (id) closeConnectionSessions(rt, id);
  return view;
}

/** Deletes a connection: its grants go, the row stays (past requests and audit events name it). */
export async function deleteConnection(rt: Runtime, by: Principal, name: string): Promise<void> {
  let id: string | undefined;
  await rt.audit.transaction(async (tx, record) => {
    const current = await findConnection(tx, name);
    id = current.id;
    await tx.delete(schema.connectionGrants).where(eq(schema.connectionGrants.connectionId, current.id));
    await tx
      .update(schema.connections)
      .set({ deletedAt: new Date(), updatedAt: new Date() })
      .where(eq(schema.connections.id, current.id));
    record({
      type: 'connection.deleted',
      actor: actorOf(by),
      subject: { type: 'connection', id: current.id },
      data: { name: current.name },
    });
  });
  if (id) closeConnectionSessions(rt, id);
}

function grantView(row: GrantRow, connection: string): ConnectionGrantView {
  return {
    id: row.id,
    connection,
    agentId: row.agentId,
    agentType: row.agentType,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  };
}

export async function listGrants(rt: Runtime, name: string): Promise<ConnectionGrantView[]> {
  const connection = await findConnection(rt.database.db, name);
  const rows = await rt.database.db
    .select()
    .from(schema.connectionGrants)
    .where(eq(schema.connectionGrants.connectionId, connection.id))
    .orderBy(schema.connectionGrants.createdAt);
  return rows.map((row) => grantView(row, connection.name));
}

export async function grantConnection(
  rt: Runtime,
  by: Principal,
  name: string,
  body: CreateConnectionGrantBody,
): Promise<ConnectionGrantView> {
  const agentId = 'agentId' in body ? body.agentId : null;
  const agentType = 'agentType' in body ? body.agentType : null;
  return rt.audit.transaction(async (tx, record) => {
    const connection = await findConnection(tx, name);
    if (agentId) {
      const [agent] = await tx
        .select({ id: schema.agents.id })
        .from(schema.agents)
        .where(eq(schema.agents.id, agentId));
      if (!agent) throw new GatehouseError('AGENT_NOT_FOUND', `no agent ${agentId}`);
    }
    const [row] = await tx
      .insert(schema.connectionGrants)
      .values({ id: newId('cng'), connectionId: connection.id, agentId, agentType, createdBy: by.id })
      .onConflictDoNothing()
      .returning();
    if (!row)
      throw new GatehouseError(
        'CONNECTION_GRANT_EXISTS',
        `${agentId ? `agent ${agentId}` : `agent type ${agentType}`} already holds a grant on ${name}`,
      );
    record({
      type: 'connection.granted',
      actor: actorOf(by),
      subject: { type: 'connection', id: connection.id },
      data: { connection: connection.name, grantId: row.id, agentId, agentType },
    });
    return grantView(row, connection.name);
  });
}

export async function revokeGrant(rt: Runtime, by: Principal, name: string, grantId: string): Promise<void> {
  await rt.audit.transaction(async (tx, record) => {
    const connection = await findConnection(tx, name);
    const [row] = await tx
      .delete(schema.connectionGrants)
      .where(
        and(eq(schema.connectionGrants.id, grantId), eq(schema.connectionGrants.connectionId, connection.id)),
      )
      .returning();
    if (!row) throw new GatehouseError('CONNECTION_GRANT_NOT_FOUND', `no grant ${grantId} on ${name}`);
    record({
      type: 'connection.grant_revoked',
      actor: actorOf(by),
      subject: { type: 'connection', id: connection.id },
      data: { connection: connection.name, grantId, agentId: row.agentId, agentType: row.agentType },
    });
  });
}

/** Whether the agent may use the connection: a grant to it by id, or to its type. */
export async function isGranted(
  db: Reader,
  connectionId: string,
  agent: { id: string; agentType: string },
): Promise<boolean> {
  const rows = await db
    .select({ id: schema.connectionGrants.id })
    .from(schema.connectionGrants)
    .where(
      and(
        eq(schema.connectionGrants.connectionId, connectionId),
        or(
          eq(schema.connectionGrants.agentId, agent.id),
          eq(schema.connectionGrants.agentType, agent.agentType),
        ),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/** The login, for the broker alone: it connects with it and never hands it on. */
export function loginOf(rt: Pick<Runtime, 'config'>, row: ConnectionRow): Credentials {
  return openCredentials(rt, row.id, row.credentialsEnc);
}
