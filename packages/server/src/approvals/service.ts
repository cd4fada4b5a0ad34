import { type RequestRow, schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import type { Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { onBehalfSession } from '../grants/scope.ts';
import { groupsOf, loadGroups } from '../groups/service.ts';
import { newId } from '../ids.ts';
import { announce } from '../lifecycle/announce.ts';
import { transition } from '../lifecycle/close.ts';
import { commentRequired, evaluateQuorum, ineligibility } from '../lifecycle/quorum.ts';
import type { Runtime } from '../platform/runtime.ts';
import {
  scopeSourceOf,
  type WhitelistInput,
  type WhitelistRecord,
  whitelistRecord,
} from '../whitelist/entry.ts';
import { whitelistChanged } from '../whitelist/loader.ts';
import { checkWithEngine, insertWhitelistEntry } from '../whitelist/service.ts';
import { eligibilityOf } from './scope.ts';

export interface DecisionInput {
  decision: 'approve' | 'reject';
  comment?: string;
  /** Approve only: also add a whitelist entry, recorded with who added it. */
  whitelist?: WhitelistInput;
}

export interface DecisionResult {
  status: RequestRow['status'];
  approvals: number;
  required: number;
  whitelistId?: string;
}

/**
 * Records one person's decision and, when it completes the quorum or rejects, closes the
 * request with a signed verdict — all in one transaction holding the request's row lock,
 * so two approvers deciding at once are counted one after the other. Refused attempts are
 * audited too: a self-approval attempt is evidence.
 */
export async function decide(
  rt: Runtime,
  principal: Principal,
  requestId: string,
  input: DecisionInput,
): Promise<DecisionResult> {
  if (principal.type !== 'user') {
    throw new GatehouseError(
      'NOT_A_PERSON',
      'decisions are made by people with personal tokens, not by agents or the bootstrap admin token',
    );
  }
  const actor = { type: 'user' as const, id: principal.id };
  const comment = input.comment?.trim() || null;
  let added: WhitelistRecord | undefined;
  try {
    if (input.whitelist && input.decision !== 'approve')
      throw new GatehouseError('WHITELIST_NEEDS_APPROVE', 'only an approval can add a whitelist entry');
    // Read outside the row lock: group changes are rare and the check below is what counts.
    const groups = await loadGroups(rt.database.db);
    const memberOf = await groupsOf(rt.database.db, principal.id);
    const { row, result } = await transition(rt, async (tx, record, close) => {
      const [request] = await tx
        .select()
        .from(schema.requests)
        .where(eq(schema.requests.id, requestId))
        .for('update');
      if (!request) throw new GatehouseError('REQUEST_NOT_FOUND', `no request ${requestId}`);
      const [agent] = await tx
        .select({ owner: schema.agents.ownerUserId, type: schema.agents.type })
        .from(schema.agents)
        .where(eq(schema.agents.id, request.agentId));
      const cast = await tx
        .select({ userId: schema.decisions.userId, decision: schema.decisions.decision })
        .from(schema.decisions)
        .where(eq(schema.decisions.requestId, requestId))
        .orderBy(asc(schema.decisions.createdAt));
      const now = new Date();
      const refusal = ineligibility({
        approver: { ...principal, groups: memberOf },
        request: { status: request.status, deadline: request.deadline, ownerUserId: agent?.owner ?? null },
        scope: eligibilityOf(request, groups),
        decisions: cast,
        now,
      });
      if (refusal) throw new GatehouseError(refusal.code, refusal.message);
      if (request.kind === 'grant' && request.sessionId === onBehalfSession(principal.id))
        throw new GatehouseError(
          'SELF_APPROVAL',
          'you asked for this grant on the agent’s behalf; someone else decides it',
        );
      if (!comment && commentRequired(request.tier, input.decision)) {
        throw new GatehouseError(
          'COMMENT_REQUIRED',
          input.decision === 'reject'
            ? 'say why you reject: a comment is required'
            : 'a multi-party approval needs a comment',
        );
      }
      if (input.whitelist) {
        if (request.kind === 'grant')
          throw new GatehouseError('WHITELIST_INVALID', 'a grant request has no command to whitelist');
        // The scope is filled in from this request: its agent, agent type or environment.
        const source = scopeSourceOf(request, agent?.type ?? '');
        added = whitelistRecord(newId('wle'), request.kind, input.whitelist, now, source);
        checkWithEngine(rt, added);
      }

      await tx.insert(schema.decisions).values({
        requestId,
        userId: principal.id,
        decision: input.decision,
        comment,
      });
      record({
        type: 'request.decided',
        actor,
        subject: { type: 'request', id: requestId },
        data: { decision: input.decision, comment, whitelist: added?.id ?? null },
      });
      if (added) await insertWhitelistEntry(tx, record, added, principal, requestId);
      const outcome = evaluateQuorum(request.requiredApprovals, [
        ...cast,
        { userId: principal.id, decision: input.decision },
      ]);
      if (outcome.status === 'pending') return { row: request, result: outcome };
      const closed = await close(request, {
        status: outcome.status,
        actor,
        approvers: outcome.approvers,
      });
      return { row: closed, result: outcome };
    });
    // A closed request was announced by the transition; one still pending changed its count.
    if (row.status === 'pending') await announce(rt, row, false);
    if (added) await whitelistChanged(rt, added.id);
    return {
      status: row.status,
      approvals: result.approvals,
      required: result.required,
      ...(added ? { whitelistId: added.id } : {}),
    };
  } catch (error) {
    if (error instanceof GatehouseError && error.status !== 404) {
      await rt.audit
        .append({
          type: 'request.decision_refused',
          actor,
          subject: { type: 'request', id: requestId },
          data: { code: error.code, decision: input.decision },
        })
        .catch(() => {});
    }
    throw error;
  }
}
