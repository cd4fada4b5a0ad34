import { FINAL_STATUSES } from '@gatehouse/contract';
import { type Db, type RequestRow, schema } from '@gatehouse/db';
import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { decidableBySql, eligibilityOf } from '../approvals/scope.ts';
import { hasRole, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { groupsOf, loadGroups } from '../groups/service.ts';
import type { ScopedGroup } from '../lifecycle/eligibility.ts';
import { evaluateQuorum, ineligibility } from '../lifecycle/quorum.ts';
import { approverView } from '../lifecycle/view.ts';
import type { Runtime } from '../platform/runtime.ts';
import { containsPattern, decodeCursor, encodeCursor } from './cursor.ts';

export interface ListQuery {
  status?: RequestRow['status'];
  agent?: string;
  tier?: RequestRow['tier'];
  /** The verdict: `allow` (approved, auto-approved) or `deny` (everything else final). */
  decision?: 'allow' | 'deny';
  from?: string;
  to?: string;
  q?: string;
  cursor?: string;
  limit: number;
  /** Pending view: every pending request, not only those the caller may decide. */
  all?: boolean;
}

const ALLOW = ['approved', 'auto_approved'] as const;
const DENY = FINAL_STATUSES.filter((s) => !(ALLOW as readonly string[]).includes(s));

const isoText = (column: SQL | typeof schema.requests.createdAt) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** What the caller can do about requests: computed once per call, used for every row. */
interface Viewer {
  principal: Principal;
  groups: ScopedGroup[];
  memberOf: string[];
}

async function viewerOf(db: Db, principal: Principal): Promise<Viewer> {
  const groups = await loadGroups(db);
  const memberOf = principal.type === 'user' ? await groupsOf(db, principal.id) : [];
  return { principal, groups, memberOf };
}

/** Whether the caller may decide this request now (the same rules as a decision). */
function eligibleFor(
  viewer: Viewer,
  row: RequestRow,
  owner: string | null,
  decidedByViewer: boolean,
  now: Date,
): boolean {
  const p = viewer.principal;
  if (p.type !== 'user') return false;
  return (
    ineligibility({
      approver: { id: p.id, roles: p.roles, groups: viewer.memberOf },
      request: { status: row.status, deadline: row.deadline, ownerUserId: owner },
      scope: eligibilityOf(row, viewer.groups),
      decisions: decidedByViewer ? [{ userId: p.id, decision: 'approve' }] : [],
      now,
    }) === undefined
  );
}

/**
 * Lists requests for people. `status=pending` is the queue: ordered by deadline then score,
 * and only what the caller may decide unless `all` (auditors, admins). Anything else is the
 * history, newest first. Both page by keyset cursor, so page N costs what page 1 costs.
 */
export async function listForPeople(rt: Runtime, principal: Principal, query: ListQuery) {
  const db = rt.database.db;
  const r = schema.requests;
  const queue = query.status === 'pending';
  if (query.all && !hasRole(principal, 'admin') && !hasRole(principal, 'auditor')) {
    throw new GatehouseError('FORBIDDEN', 'all=true is for auditors and admins');
  }
  const viewer = await viewerOf(db, principal);
  const where: (SQL | undefined)[] = [];
  if (query.status) where.push(eq(r.status, query.status));
  if (query.agent) where.push(eq(r.agentId, query.agent));
  if (query.tier) where.push(eq(r.tier, query.tier));
  if (query.decision) where.push(inArray(r.status, query.decision === 'allow' ? [...ALLOW] : DENY));
  if (query.from) where.push(gte(r.createdAt, new Date(query.from)));
  if (query.to) where.push(lt(r.createdAt, new Date(query.to)));
  if (query.q) where.push(sql`${r.command} ilike ${containsPattern(query.q)} escape '\\'`);
  if (queue && !query.all) {
    where.push(
      principal.type === 'user' ? decidableBySql(principal, viewer.groups, viewer.memberOf) : sql`false`,
    );
  }
  const sortTime = queue ? sql`${r.deadline}` : sql`${r.createdAt}`;
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    const t = sql`${c.t}::timestamptz`;
    where.push(
      queue
        ? sql`(${r.deadline} > ${t} or (${r.deadline} = ${t} and (${r.score} < ${c.s ?? 0} or (${r.score} = ${c.s ?? 0} and ${r.id} > ${c.id}))))`
        : sql`(${r.createdAt} < ${t} or (${r.createdAt} = ${t} and ${r.id} < ${c.id}))`,
    );
  }
  const rows = await db
    .select({
      request: r,
      sortKey: isoText(sortTime),
      agentName: schema.agents.name,
      agentType: schema.agents.type,
      owner: schema.agents.ownerUserId,
    })
    .from(r)
    .innerJoin(schema.agents, eq(schema.agents.id, r.agentId))
    .where(and(...where))
    .orderBy(...(queue ? [asc(r.deadline), desc(r.score), asc(r.id)] : [desc(r.createdAt), desc(r.id)]))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const ids = page.map((p) => p.request.id);
  const [decided, deciders] = await Promise.all([decidedBy(db, principal, ids), decidersOf(db, ids)]);
  const now = new Date();
  const last = page.at(-1);
  return {
    items: page.map((p) => ({
      ...approverView(p.request),
      agent: { id: p.request.agentId, name: p.agentName, type: p.agentType, owner: p.owner },
      decidedBy: deciders.get(p.request.id) ?? [],
      eligible: eligibleFor(viewer, p.request, p.owner, decided.has(p.request.id), now),
    })),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ t: last.sortKey, id: last.request.id, ...(queue ? { s: last.request.score } : {}) })
        : null,
  };
}

/** The ids among `requestIds` that this person already decided. */
async function decidedBy(db: Db, principal: Principal, requestIds: string[]): Promise<Set<string>> {
  if (principal.type !== 'user' || requestIds.length === 0) return new Set();
  const rows = await db
    .select({ id: schema.decisions.requestId })
    .from(schema.decisions)
    .where(and(eq(schema.decisions.userId, principal.id), inArray(schema.decisions.requestId, requestIds)));
  return new Set(rows.map((x) => x.id));
}

/** Who decided each of `requestIds`, in the order they decided. */
async function decidersOf(db: Db, requestIds: string[]): Promise<Map<string, Decider[]>> {
  const byRequest = new Map<string, Decider[]>();
  if (requestIds.length === 0) return byRequest;
  const rows = await db
    .select({
      requestId: schema.decisions.requestId,
      email: schema.users.email,
      decision: schema.decisions.decision,
    })
    .from(schema.decisions)
    .innerJoin(schema.users, eq(schema.users.id, schema.decisions.userId))
    .where(inArray(schema.decisions.requestId, requestIds))
    .orderBy(asc(schema.decisions.createdAt));
  for (const { requestId, ...decider } of rows) {
    byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), decider]);
  }
  return byRequest;
}

export interface Decider {
  email: string;
  decision: 'approve' | 'reject';
}

/** How many similar requests the detail shows. */
export const SIMILAR_LIMIT = 10;

/**
 * One request with everything a person needs to decide it: the agent and its owner, the
 * decisions so far with who made them, the quorum's progress, whether the caller may decide,
 * and how earlier requests of the same program and subcommand ended.
 */
export async function requestDetail(rt: Runtime, principal: Principal, id: string) {
  const db = rt.database.db;
  const [found] = await db
    .select({
      request: schema.requests,
      agent: {
        id: schema.agents.id,
        name: schema.agents.name,
        type: schema.agents.type,
        owner: schema.agents.ownerUserId,
        environments: schema.agents.environments,
        revokedAt: schema.agents.revokedAt,
      },
      ownerEmail: schema.users.email,
    })
    .from(schema.requests)
    .innerJoin(schema.agents, eq(schema.agents.id, schema.requests.agentId))
    .leftJoin(schema.users, eq(schema.users.id, schema.agents.ownerUserId))
    .where(eq(schema.requests.id, id));
  if (!found) throw new GatehouseError('REQUEST_NOT_FOUND', `no request ${id}`);
  const { request, agent } = found;
  const decisions = await db
    .select({
      userId: schema.decisions.userId,
      email: schema.users.email,
      decision: schema.decisions.decision,
      comment: schema.decisions.comment,
      createdAt: schema.decisions.createdAt,
    })
    .from(schema.decisions)
    .innerJoin(schema.users, eq(schema.users.id, schema.decisions.userId))
    .where(eq(schema.decisions.requestId, id))
    .orderBy(asc(schema.decisions.createdAt));
  const quorum = evaluateQuorum(request.requiredApprovals, decisions);
  // Whether it ran: the agent's execution report, and whether its output is still kept.
  const [execution] = await db
    .select({
      exitCode: schema.executions.exitCode,
      signal: schema.executions.signal,
      durationMs: schema.executions.durationMs,
      reportedAt: schema.executions.reportedAt,
      recorded: sql<boolean>`exists (select 1 from ${schema.recordings} where ${schema.recordings.requestId} = ${id})`,
    })
    .from(schema.executions)
    .where(eq(schema.executions.requestId, id));
  const viewer = await viewerOf(db, principal);
  const decidedByViewer = principal.type === 'user' && decisions.some((d) => d.userId === principal.id);
  return {
    ...approverView(request),
    agent: {
      id: agent.id,
      name: agent.name,
      type: agent.type,
      owner: agent.owner,
      ownerEmail: found.ownerEmail,
      environments: agent.environments,
      revokedAt: agent.revokedAt?.toISOString() ?? null,
    },
    whitelistedBy: request.whitelistedBy,
    decisions: decisions.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })),
    approvals: quorum.approvals,
    required: request.requiredApprovals,
    approvers: quorum.approvers,
    execution: execution
      ? {
          exitCode: execution.exitCode,
          signal: execution.signal,
          durationMs: execution.durationMs,
          reportedAt: execution.reportedAt.toISOString(),
        }
      : null,
    recorded: execution?.recorded ?? false,
    eligible: eligibleFor(viewer, request, agent.owner, decidedByViewer, new Date()),
    similar: await similarRequests(db, request),
  };
}

/**
 * Earlier requests whose first parsed command has the same program (or SQL statement type)
 * and the same subcommand (first argument that is not an option): how this kind of command
 * was decided before, with the agent and environment of each, since a staging denial is no
 * precedent for a production approval.
 */
async function similarRequests(db: Db, request: RequestRow) {
  const first = request.commands[0] as { name?: unknown; args?: unknown } | undefined;
  if (!first || typeof first.name !== 'string') return [];
  const args = Array.isArray(first.args) ? first.args.filter((a): a is string => typeof a === 'string') : [];
  const sub = args.find((a) => !a.startsWith('-')) ?? null;
  const r = schema.requests;
  const subOf = sql`(select a from jsonb_array_elements_text(coalesce(${r.commands}->0->'args', '[]'::jsonb)) with ordinality as x(a, n) where a not like '-%' order by n limit 1)`;
  const rows = await db
    .select({
      id: r.id,
      command: r.command,
      status: r.status,
      tier: r.tier,
      createdAt: r.createdAt,
      agent: { id: schema.agents.id, name: schema.agents.name },
      environment: sql<string | null>`${r.context}->>'environment'`,
    })
    .from(r)
    .innerJoin(schema.agents, eq(schema.agents.id, r.agentId))
    .where(
      and(
        eq(r.kind, request.kind),
        sql`${r.id} <> ${request.id}`,
        sql`${r.commands}->0->>'name' = ${first.name}`,
        sub === null ? sql`${subOf} is null` : sql`${subOf} = ${sub}`,
      ),
    )
    .orderBy(desc(r.createdAt))
    .limit(SIMILAR_LIMIT);
  return rows.map((x) => ({ ...x, createdAt: x.createdAt.toISOString() }));
}
