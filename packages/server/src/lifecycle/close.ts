import { type Db, type RequestRow, schema } from '@gatehouse/db';
import { and, eq } from 'drizzle-orm';
import type { RecordAudit } from '../audit/writer.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { announce } from './announce.ts';
import { type Closing, TRANSITIONS } from './states.ts';
import { issueVerdict, verdictEvent } from './verdict.ts';

export interface Outcome {
  status: Closing;
  /** Who caused it: a person's decision, an admin's revocation, the system's deadline. */
  actor: { type: 'admin' | 'user' | 'agent' | 'system'; id: string };
  /** The people whose approvals the verdict names; empty for every end but `approved`. */
  approvers?: readonly string[];
  /** Why, in the audit event (a revocation, say). */
  reason?: string;
}

/** Closes a pending request inside the transaction that holds its row lock. */
export type Close = (request: RequestRow, outcome: Outcome) => Promise<RequestRow>;

/**
 * The only way a request leaves `pending`: sign the verdict, write the final status (only
 * if the row is still pending: a second closer loses, never overwrites), append the audit
 * events, and — once the transaction has committed — announce it on the stream, so agents
 * waiting for the verdict wake up. Decisions, expiry and revocation all close through here.
 *
 * `work` runs in one audited transaction and may close any number of requests through the
 * `close` it is handed.
 */
export async function transition<T>(
  rt: Runtime,
  work: (tx: Db, record: RecordAudit, close: Close) => Promise<T>,
): Promise<T> {
  const closed: RequestRow[] = [];
  const result = await rt.audit.transaction(async (tx, record) => {
    const close: Close = async (request, outcome) => {
      const row = await closeInTransaction(rt, tx, record, request, outcome);
      closed.push(row);
      return row;
    };
    return work(tx, record, close);
  });
  for (const row of closed) await announce(rt, row, false);
  return result;
}

async function closeInTransaction(
  rt: Runtime,
  tx: Db,
  record: RecordAudit,
  request: RequestRow,
  outcome: Outcome,
): Promise<RequestRow> {
  const approvers = outcome.approvers ?? [];
  const issued = await issueVerdict(rt, request, outcome.status, approvers);
  const [row] = await tx
    .update(schema.requests)
    .set({
      status: outcome.status,
      decidedAt: new Date(),
      verdict: issued.verdict,
      verdictExpiresAt: issued.expiresAt,
    })
    .where(and(eq(schema.requests.id, request.id), eq(schema.requests.status, 'pending')))
    .returning();
  if (!row) throw new GatehouseError('REQUEST_FINAL', `request ${request.id} is no longer pending`);
  const event = TRANSITIONS[outcome.status].event;
  if (event) {
    record({
      type: event,
      actor: outcome.actor,
      subject: { type: 'request', id: request.id },
      data:
        event === 'request.expired'
          ? { deadline: request.deadline?.toISOString() ?? null }
          : { reason: outcome.reason ?? null },
    });
  }
  record(verdictEvent(row, approvers));
  return row;
}
