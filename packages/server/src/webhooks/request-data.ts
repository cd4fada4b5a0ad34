import type { RequestEventData } from '@gatehouse/contract';
import { schema } from '@gatehouse/db';
import { maskOrWithhold } from '@gatehouse/mask';
import { asc, eq } from 'drizzle-orm';
import { normaliseEnvironment } from '../lifecycle/eligibility.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * A request as it leaves Gatehouse for a webhook receiver or a Slack channel: what an approver
 * needs to know, read from the database now. Third parties get no secret: the command and the
 * reasons' details pass through the output masking (a token typed into a command is replaced,
 * and if masking fails the text is withheld, never sent as is), and the verdict, session and
 * free-text context (justification, cwd) stay home.
 */
export async function requestEventData(
  rt: Pick<Runtime, 'database' | 'config'>,
  requestId: string,
): Promise<RequestEventData | undefined> {
  const db = rt.database.db;
  const [row] = await db
    .select({
      request: schema.requests,
      agent: { id: schema.agents.id, name: schema.agents.name, type: schema.agents.type },
    })
    .from(schema.requests)
    .innerJoin(schema.agents, eq(schema.agents.id, schema.requests.agentId))
    .where(eq(schema.requests.id, requestId));
  if (!row) return undefined;
  const decisions = await db
    .select({
      userId: schema.decisions.userId,
      email: schema.users.email,
      decision: schema.decisions.decision,
      at: schema.decisions.createdAt,
    })
    .from(schema.decisions)
    .innerJoin(schema.users, eq(schema.users.id, schema.decisions.userId))
    .where(eq(schema.decisions.requestId, requestId))
    .orderBy(asc(schema.decisions.createdAt));
  const r = row.request;
  const mask = (text: string) => maskOrWithhold(text, rt.config.masking).text;
  return {
    id: r.id,
    status: r.status,
    kind: r.kind,
    dialect: r.dialect,
    command: mask(r.command),
    tier: r.tier,
    score: r.score,
    reasons: r.reasons.map((reason) => ({ rule: reason.rule, detail: mask(reason.detail ?? '') })),
    agent: row.agent,
    environment: normaliseEnvironment(r.context.environment),
    requiredApprovals: r.requiredApprovals,
    deadline: r.deadline?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisions: decisions.map((d) => ({ ...d, at: d.at.toISOString() })),
    url: rt.config.publicUrl ? `${rt.config.publicUrl}/requests/${encodeURIComponent(r.id)}` : null,
  };
}
