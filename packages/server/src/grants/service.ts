import {
  describeGrant,
  type GrantScope,
  type GrantState,
  type GrantView,
  type RequestGrantBody,
} from '@gatehouse/contract';
import { type RequestRow, schema } from '@gatehouse/db';
import { type Kind, RiskInputError } from '@gatehouse/risk';
import { commandHash } from '@gatehouse/verdict';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { bindEnvironment, type EnvironmentBinding } from '../agents/environment.ts';
import { actorOf, type Principal } from '../auth/principal.ts';
import { findConnection, isGranted } from '../connections/service.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import { announce } from '../lifecycle/announce.ts';
import { transition } from '../lifecycle/close.ts';
import { requiredApprovals } from '../lifecycle/quorum.ts';
import { assertSchedulable, enqueueJobs } from '../lifecycle/schedule.ts';
import type { Runtime } from '../platform/runtime.ts';
import { endOf, grantRegistry } from './registry.ts';
import { onBehalfSession } from './scope.ts';

type GrantRow = typeof schema.grants.$inferSelect;
type AgentPrincipal = Extract<Principal, { type: 'agent' }>;

/** Who the grant is for, and the session its request belongs to. */
interface Requester {
  agentId: string;
  agentType: string;
  /** The agent's session when it asked; `on-behalf:<admin>` when an admin asked for it. */
  sessionId: string;
  environments: EnvironmentBinding;
  actor: { type: 'agent' | 'admin' | 'user'; id: string };
  /** The admin who asked on the agent's behalf. */
  requestedBy: string | null;
}

/** An agent asks for a grant for itself. */
export function requestGrant(rt: Runtime, agent: AgentPrincipal, body: RequestGrantBody) {
  return createGrant(rt, body, {
    agentId: agent.id,
    agentType: agent.agentType,
    sessionId: agent.sessionId,
    environments: agent.environments,
    actor: { type: 'agent', id: agent.id },
    requestedBy: null,
  });
}

/**
 * An admin asks on behalf of an agent: the person behind an agent cannot sign in as the agent,
 * so the web app asks through here. Approval is the same: other people, through the queue, and
 * never the agent's owner.
 */
export async function requestGrantFor(
  rt: Runtime,
  by: Principal,
  body: RequestGrantBody & { agentId: string },
) {
  const [agent] = await rt.database.db.select().from(schema.agents).where(eq(schema.agents.id, body.agentId));
  if (!agent || agent.revokedAt)
    throw new GatehouseError('AGENT_NOT_FOUND', `no active agent ${body.agentId}`);
  const { agentId: _agent, ...rest } = body;
  return createGrant(rt, rest, {
    agentId: agent.id,
    agentType: agent.type,
    sessionId: onBehalfSession(by.id),
    environments: agent.environments,
    actor: actorOf(by),
    requestedBy: by.id,
  });
}

/**
 * A refused ask is audited like a refused request: asking for more than allowed, or for a
 * connection or environment the agent may not use, is evidence.
 */
async function createGrant(rt: Runtime, body: RequestGrantBody, who: Requester) {
  try {
    return await askForGrant(rt, body, who);
  } catch (error) {
    if (error instanceof GatehouseError && error.status < 500) {
      await rt.audit
        .append({
          type: 'grant.refused',
          actor: who.actor,
          subject: { type: 'agent', id: who.agentId },
          data: {
            code: error.code,
            scope: body.scope,
            ceiling: body.ceiling,
            durationMinutes: body.durationMinutes,
            environment: body.environment ?? null,
          },
        })
        .catch(() => {});
    }
    throw error;
  }
}

async function askForGrant(rt: Runtime, body: RequestGrantBody, who: Requester) {
  const reason = body.reason.trim();
  if (reason === '') throw new GatehouseError('GRANT_INVALID', 'a grant needs a reason');
  const max = rt.config.grantMaxMinutes;
  if (body.durationMinutes > max)
    throw new GatehouseError(
      'GRANT_TOO_LONG',
      `a grant may last at most ${max} minutes; asked for ${body.durationMinutes}`,
    );
  if (body.scope.type === 'command') checkPattern(rt, body.scope.kind, body.scope.match);
  // A connection says where its statements run, as for a brokered request: its environment
  // overrides the one asked for, so a production grant is routed to production's approvers.
  const connection =
    body.scope.type === 'connection' ? await usableConnection(rt, body.scope.connection, who) : null;
  const environment = connection?.environment ?? body.environment;
  const context = bindEnvironment(who.environments, {
    ...(environment ? { environment } : {}),
    ...(connection ? { connection: connection.name, database: connection.database } : {}),
    justification: reason,
  });
  await assertSchedulable(rt);

  const now = new Date();
  const command = describeGrant(body.scope, body.ceiling, body.durationMinutes);
  const grantId = newId('grt');
  const draft: RequestRow = {
    id: newId('req'),
    agentId: who.agentId,
    sessionId: who.sessionId,
    kind: 'grant',
    dialect: null,
    command,
    target: null,
    // `grantKind`: approver groups scoped by kind decide a grant as a request of that kind.
    context: {
      ...context,
      grant: grantId,
      grantKind: body.scope.type === 'connection' ? 'sql' : body.scope.kind,
    },
    cmdHash: commandHash({ kind: 'grant', dialect: null, command, target: null }),
    // Not scored: the quorum follows the ceiling asked for (review: one person, multi_party: two).
    score: 0,
    tier: body.ceiling,
    reasons: [
      {
        rule: 'grant.request',
        category: 'context',
        weight: 0,
        detail: `asks for ${body.durationMinutes} minutes of ${body.ceiling === 'multi_party' ? 'multi-party' : 'review'}-tier access: ${reason}`,
      },
    ],
    commands: [],
    policyVersion: rt.risk.policy.version,
    whitelistedBy: null,
    status: 'pending',
    requiredApprovals: requiredApprovals(body.ceiling),
    deadline: new Date(now.getTime() + rt.risk.policy.approvalDeadlineSeconds * 1000),
    escalatedAt: null,
    createdAt: now,
    decidedAt: null,
    verdict: null,
    verdictExpiresAt: null,
    consumedAt: null,
  };
  const grant: GrantRow = {
    id: grantId,
    requestId: draft.id,
    agentId: who.agentId,
    requestedBy: who.requestedBy,
    scopeType: body.scope.type,
    connection: body.scope.type === 'connection' ? body.scope.connection : null,
    kind: body.scope.type === 'command' ? body.scope.kind : null,
    match: body.scope.type === 'command' ? { ...body.scope.match } : null,
    ceiling: body.ceiling,
    durationMinutes: body.durationMinutes,
    reason,
    createdAt: now,
    startsAt: null,
    endsAt: null,
    outcome: null,
    revokedAt: null,
    revokedBy: null,
    endedAt: null,
  };
  await rt.audit.commit({
    inserts: [
      [schema.requests, draft],
      [schema.grants, grant],
    ],
    events: [
      {
        type: 'request.submitted',
        actor: who.actor,
        subject: { type: 'request', id: draft.id },
        data: {
          sessionId: draft.sessionId,
          kind: draft.kind,
          dialect: null,
          command,
          context: draft.context,
          cmd: draft.cmdHash,
          score: draft.score,
          tier: draft.tier,
          reasons: draft.reasons,
          policyVersion: draft.policyVersion,
          whitelistedBy: null,
          status: draft.status,
          deadline: draft.deadline?.toISOString() ?? null,
        },
      },
      {
        type: 'grant.requested',
        actor: who.actor,
        subject: { type: 'grant', id: grantId },
        data: {
          agentId: who.agentId,
          requestId: draft.id,
          scope: body.scope,
          ceiling: body.ceiling,
          durationMinutes: body.durationMinutes,
          reason,
          environment: context.environment ?? null,
        },
      },
    ],
  });
  try {
    await enqueueJobs(rt, draft);
  } catch {
    await withdraw(rt, draft);
    throw new GatehouseError(
      'JOBS_UNAVAILABLE',
      'the job queue stopped answering, so no approver could be asked; the grant request was cancelled, retry later',
    );
  }
  await announce(rt, draft, true);
  await changed(rt, grantId);
  return {
    grant: grantView(grant, draft, now),
    request: {
      id: draft.id,
      status: draft.status,
      requiredApprovals: draft.requiredApprovals,
      deadline: draft.deadline?.toISOString() ?? null,
    },
  };
}

/** The connection a grant names, if it exists and the agent may use it at all (the connection's own grant). */
async function usableConnection(rt: Runtime, name: string, who: Requester) {
  const connection = await findConnection(rt.database.db, name);
  if (!(await isGranted(rt.database.db, connection.id, { id: who.agentId, agentType: who.agentType })))
    throw new GatehouseError(
      'CONNECTION_NOT_GRANTED',
      `agent ${who.agentId} may not use connection ${name} at all; an admin grants the connection first`,
    );
  return connection;
}

/** Refuses a pattern the risk engine would refuse, and one that names no program: `{}` would match anything. */
function checkPattern(rt: Runtime, kind: Kind, match: Record<string, unknown>): void {
  const program = match.program;
  if (!Array.isArray(program) || program.length === 0)
    throw new GatehouseError(
      'GRANT_INVALID',
      'a command pattern names its programs (or SQL statement types) in `program`',
    );
  try {
    rt.policyEngine.withWhitelist([{ id: 'grant', kind, match, expires: new Date(Date.now() + 60_000) }]);
  } catch (error) {
    if (error instanceof RiskInputError) throw new GatehouseError('GRANT_INVALID', error.message);
    throw error;
  }
}

/** Cancels a grant request whose jobs could not be queued (nobody would be asked). */
async function withdraw(rt: Runtime, draft: RequestRow): Promise<void> {
  try {
    await transition(rt, async (tx, _record, close) => {
      const [row] = await tx
        .select()
        .from(schema.requests)
        .where(eq(schema.requests.id, draft.id))
        .for('update');
      if (row?.status === 'pending')
        await close(row, {
          status: 'cancelled',
          actor: { type: 'system', id: 'gatehouse' },
          reason: 'the job queue did not accept the grant request',
        });
    });
  } catch (error) {
    rt.log.warn(
      { err: error, requestId: draft.id },
      'could not cancel a grant request whose jobs were refused',
    );
  }
}

/** Applies a change here at once and tells every other replica. */
async function changed(rt: Runtime, id: string): Promise<void> {
  await grantRegistry(rt)
    ?.reload()
    .catch(() => {});
  await rt.bus.publish({ type: 'grant.changed', data: { id } }).catch(() => {});
}

function stateOf(grant: GrantRow, request: Pick<RequestRow, 'status' | 'decidedAt'>, now: Date): GrantState {
  if (request.status === 'pending') return 'pending';
  if (request.status !== 'approved' || !request.decidedAt) return 'refused';
  if (grant.revokedAt) return 'revoked';
  return now.getTime() < endOf(request.decidedAt, grant.durationMinutes).getTime() ? 'active' : 'expired';
}

function scopeOf(grant: GrantRow): GrantScope {
  return grant.scopeType === 'connection'
    ? { type: 'connection', connection: grant.connection ?? '' }
    : { type: 'command', kind: grant.kind ?? 'shell', match: grant.match ?? {} };
}

export function grantView(
  grant: GrantRow,
  request: Pick<RequestRow, 'status' | 'decidedAt'>,
  now: Date,
): GrantView {
  const startsAt = request.status === 'approved' ? request.decidedAt : null;
  return {
    id: grant.id,
    requestId: grant.requestId,
    agentId: grant.agentId,
    requestedBy: grant.requestedBy,
    scope: scopeOf(grant),
    ceiling: grant.ceiling,
    durationMinutes: grant.durationMinutes,
    reason: grant.reason,
    state: stateOf(grant, request, now),
    requestStatus: request.status,
    createdAt: grant.createdAt.toISOString(),
    startsAt: startsAt?.toISOString() ?? null,
    endsAt: startsAt ? endOf(startsAt, grant.durationMinutes).toISOString() : null,
    revokedAt: grant.revokedAt?.toISOString() ?? null,
    revokedBy: grant.revokedBy,
  };
}

export interface GrantFilter {
  state?: GrantState | undefined;
  agent?: string | undefined;
  connection?: string | undefined;
}

/** The newest grants (at most 500), filtered; the state is worked out against the clock now. */
export async function listGrants(rt: Runtime, filter: GrantFilter): Promise<GrantView[]> {
  const conditions: SQL[] = [];
  if (filter.agent) conditions.push(eq(schema.grants.agentId, filter.agent));
  if (filter.connection) conditions.push(eq(schema.grants.connection, filter.connection));
  const rows = await rt.database.db
    .select({ grant: schema.grants, status: schema.requests.status, decidedAt: schema.requests.decidedAt })
    .from(schema.grants)
    .innerJoin(schema.requests, eq(schema.requests.id, schema.grants.requestId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(schema.grants.createdAt))
    .limit(500);
  const now = new Date();
  const views = rows.map((r) => grantView(r.grant, r, now));
  return filter.state ? views.filter((v) => v.state === filter.state) : views;
}

export async function getGrant(rt: Runtime, id: string): Promise<GrantView> {
  const [row] = await rt.database.db
    .select({ grant: schema.grants, status: schema.requests.status, decidedAt: schema.requests.decidedAt })
    .from(schema.grants)
    .innerJoin(schema.requests, eq(schema.requests.id, schema.grants.requestId))
    .where(eq(schema.grants.id, id));
  if (!row) throw new GatehouseError('GRANT_NOT_FOUND', `no grant ${id}`);
  return grantView(row.grant, row, new Date());
}

/** The grants of one agent created since a time, for the incident bundle. */
export async function grantsOfAgent(db: Runtime['database']['db'], agentId: string, since: Date) {
  const rows = await db
    .select({ grant: schema.grants, status: schema.requests.status, decidedAt: schema.requests.decidedAt })
    .from(schema.grants)
    .innerJoin(schema.requests, eq(schema.requests.id, schema.grants.requestId))
    .where(eq(schema.grants.agentId, agentId))
    .orderBy(schema.grants.createdAt);
  const now = new Date();
  return rows.filter((r) => r.grant.createdAt >= since).map((r) => grantView(r.grant, r, now));
}

/** Ends an active grant early, on every replica: here at once, elsewhere by `grant.ended` or the next reload. */
export async function revokeGrant(rt: Runtime, by: Principal, id: string): Promise<GrantView> {
  const now = new Date();
  const view = await rt.audit.transaction(async (tx, record) => {
    const [grant] = await tx.select().from(schema.grants).where(eq(schema.grants.id, id)).for('update');
    if (!grant) throw new GatehouseError('GRANT_NOT_FOUND', `no grant ${id}`);
    const [request] = await tx
      .select({ status: schema.requests.status, decidedAt: schema.requests.decidedAt })
      .from(schema.requests)
      .where(eq(schema.requests.id, grant.requestId));
    if (!request) throw new GatehouseError('GRANT_NOT_FOUND', `no grant ${id}`);
    const state = stateOf(grant, request, now);
    if (state !== 'active')
      throw new GatehouseError(
        'GRANT_NOT_ACTIVE',
        `grant ${id} is ${state}; only an active grant can be revoked`,
      );
    const startsAt = request.decidedAt as Date;
    const [updated] = await tx
      .update(schema.grants)
      .set({
        revokedAt: now,
        revokedBy: by.id,
        endedAt: now,
        outcome: 'approved',
        startsAt,
        endsAt: endOf(startsAt, grant.durationMinutes),
      })
      .where(eq(schema.grants.id, id))
      .returning();
    // Revoked before any replica recorded the approval: both go in, in order.
    if (grant.outcome === null)
      record({
        type: 'grant.approved',
        actor: { type: 'system', id: 'gatehouse' },
        subject: { type: 'grant', id },
        data: {
          agentId: grant.agentId,
          requestId: grant.requestId,
          requestStatus: request.status,
          startsAt: startsAt.toISOString(),
          endsAt: endOf(startsAt, grant.durationMinutes).toISOString(),
        },
      });
    record({
      type: 'grant.revoked',
      actor: actorOf(by),
      subject: { type: 'grant', id },
      data: {
        agentId: grant.agentId,
        requestId: grant.requestId,
        endsAt: endOf(startsAt, grant.durationMinutes).toISOString(),
      },
    });
    return grantView(updated as GrantRow, request, now);
  });
  grantRegistry(rt)?.end(id);
  await rt.bus.publish({ type: 'grant.ended', data: { id } }).catch(() => {});
  await changed(rt, id);
  return view;
}
