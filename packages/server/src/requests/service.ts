import { type RequestRow, schema } from '@gatehouse/db';
import type { AssessContext, Assessment, Kind, SqlDialect } from '@gatehouse/risk';
import { commandHash, targetOf } from '@gatehouse/verdict';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { bindEnvironment } from '../agents/environment.ts';
import { applyAnomaly } from '../anomaly/detector.ts';
import type { Principal } from '../auth/principal.ts';
import { prepareBrokered } from '../connections/submit.ts';
import { GatehouseError } from '../errors.ts';
import { applyGrants } from '../grants/apply.ts';
import { newId } from '../ids.ts';
import { announce } from '../lifecycle/announce.ts';
import { transition } from '../lifecycle/close.ts';
import { requiredApprovals } from '../lifecycle/quorum.ts';
import { assertSchedulable, enqueueJobs } from '../lifecycle/schedule.ts';
import { initialStatus, isAllowed } from '../lifecycle/states.ts';
import { issueVerdict, verdictEvent } from '../lifecycle/verdict.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type OutputChunk, prepareRecording } from '../recordings/prepare.ts';

type AgentPrincipal = Extract<Principal, { type: 'agent' }>;

export interface SubmitInput {
  kind: Kind;
  command: string;
  dialect?: SqlDialect;
  /** What the agent states; who it is (id, type) comes from its session, never from here. */
  context?: Omit<AssessContext, 'agentType' | 'agentId' | 'now'>;
  /** SQL for the broker: the gateway runs it on this registered connection (connections/submit.ts). */
  connection?: string;
}

/**
 * The request's context with the environment the agent is bound to. A request for another
 * environment is refused, and the attempt is audited: a bound agent naming a foreign
 * environment is either misconfigured or trying to get a laxer policy.
 */
async function environmentOf(rt: Runtime, agent: AgentPrincipal, input: SubmitInput) {
  try {
    return bindEnvironment(agent.environments, input.context ?? {});
  } catch (error) {
    await rt.audit.append({
      type: 'request.refused',
      actor: { type: 'agent', id: agent.id },
      subject: { type: 'session', id: agent.sessionId },
      data: {
        reason: 'ENVIRONMENT_NOT_ALLOWED',
        environment: input.context?.environment ?? null,
        allowed: agent.environments,
        kind: input.kind,
        command: input.command,
      },
    });
    throw error;
  }
}

/** Scores, stores and (for auto/deny) decides a request, with its audit events, in one transaction. */
export async function submitRequest(
  rt: Runtime,
  agent: AgentPrincipal,
  input: SubmitInput,
): Promise<RequestRow> {
  const brokered = input.connection
    ? await prepareBrokered(rt, agent, { ...input, connection: input.connection })
    : null;
  const context = await environmentOf(rt, agent, brokered ? { ...input, context: brokered.context } : input);
  const dialect = input.kind === 'sql' ? (brokered?.dialect ?? input.dialect ?? 'postgresql') : null;
  const target = brokered?.target ?? targetOf(input.kind, context);
  const assessed = assess(rt, { ...input, ...(dialect ? { dialect } : {}) }, context, agent);
  const anomalous = applyAnomaly(rt, agent, context, assessed);
  const assessment = applyGrants(rt, agent, input, anomalous);
  if (brokered) await brokered.admit(assessment);
  const status = initialStatus(assessment.tier);
  // A request for people needs the job queue (routing, expiry): without it, refuse before writing.
  if (status === 'pending') await assertSchedulable(rt);
  const now = new Date();
  const draft: RequestRow = {
    id: newId('req'),
    agentId: agent.id,
    sessionId: agent.sessionId,
    kind: input.kind,
    dialect,
    command: input.command,
    target,
    context: context as Record<string, unknown>,
    cmdHash: commandHash({ kind: input.kind, dialect, command: input.command, target }),
    score: assessment.score,
    tier: assessment.tier,
    reasons: assessment.reasons,
    commands: assessment.commands,
    policyVersion: assessment.policyVersion,
    whitelistedBy: assessment.whitelistedBy ?? null,
    status,
    requiredApprovals: requiredApprovals(assessment.tier),
    deadline:
      status === 'pending' ? new Date(now.getTime() + rt.risk.policy.approvalDeadlineSeconds * 1000) : null,
    escalatedAt: null,
    createdAt: now,
    decidedAt: status === 'pending' ? null : now,
    verdict: null,
    verdictExpiresAt: null,
    consumedAt: null,
  };
  if (status !== 'pending') {
    const issued = await issueVerdict(rt, draft, status, []);
    draft.verdict = issued.verdict;
    draft.verdictExpiresAt = issued.expiresAt;
  }
  const subject = { type: 'request', id: draft.id };
  await rt.audit.commit({
    inserts: [
      [schema.requests, draft],
      ...(brokered ? ([[schema.brokeredRequests, brokered.row(draft, assessment)]] as const) : []),
    ],
    events: [
      {
        type: 'request.submitted',
        actor: { type: 'agent', id: agent.id },
        subject,
        data: {
          sessionId: agent.sessionId,
          kind: draft.kind,
          dialect: draft.dialect,
          command: draft.command,
          context: draft.context,
          ...(brokered ? { connection: brokered.connection.name } : {}),
          cmd: draft.cmdHash,
          score: draft.score,
          tier: draft.tier,
          reasons: draft.reasons,
          policyVersion: draft.policyVersion,
          whitelistedBy: draft.whitelistedBy,
          status,
          deadline: draft.deadline?.toISOString() ?? null,
        },
      },
      ...(draft.verdict ? [verdictEvent(draft, [])] : []),
    ],
  });
  if (draft.status === 'pending') {
    try {
      await enqueueJobs(rt, draft);
    } catch {
      // The queue failed between the check and the commit: no pending request may be left
      // that nobody was asked about. It is closed (cancelled, with its deny verdict and audit
      // events) in this same call, and the agent is told to retry.
      await withdraw(rt, draft);
      throw new GatehouseError(
        'JOBS_UNAVAILABLE',
        'the job queue stopped answering, so no approver could be asked; the request was cancelled, retry later',
      );
    }
  }
  await announce(rt, draft, true);
  return draft;
}

/** Cancels a request just submitted whose jobs could not be queued. */
async function withdraw(rt: Runtime, draft: RequestRow): Promise<void> {
  try {
    await transition(rt, async (tx, _record, close) => {
      const [row] = await tx
        .select()
        .from(schema.requests)
        .where(eq(schema.requests.id, draft.id))
        .for('update');
      if (row?.status === 'pending') {
        await close(row, {
          status: 'cancelled',
          actor: { type: 'system', id: 'gatehouse' },
          reason: 'the job queue did not accept the request',
        });
      }
    });
  } catch (error) {
    // Left pending, it still expires at its deadline: the worker's sweep needs no job for that.
    rt.log.warn({ err: error, requestId: draft.id }, 'could not cancel a request whose jobs were refused');
  }
}

/**
 * The assessment as it can be stored. The engine quotes the command in its explanations, and
 * a parser's message may cut a character in half (a lone UTF-16 surrogate, which PostgreSQL
 * refuses in text and jsonb): every string of the reasons and commands is made well-formed.
 */
function storable(assessment: Assessment): Assessment {
  return {
    ...assessment,
    reasons: wellFormed(assessment.reasons),
    commands: wellFormed(assessment.commands),
  };
}

function wellFormed<T>(value: T): T {
  if (typeof value === 'string')
    return value
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .replaceAll('\0', '\ufffd') as T;
  if (Array.isArray(value)) return value.map(wellFormed) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wellFormed(v)])) as T;
  return value;
}

function assess(
  rt: Runtime,
  input: SubmitInput,
  context: SubmitInput['context'],
  agent: AgentPrincipal,
): Assessment {
  try {
    return storable(
      rt.risk.assess({
        kind: input.kind,
        command: input.command,
        ...(input.dialect ? { dialect: input.dialect } : {}),
        context: { ...context, agentType: agent.agentType, agentId: agent.id },
      }),
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_INPUT_TOO_LARGE')
      throw new GatehouseError('COMMAND_TOO_LARGE', (error as Error).message);
    // The engine is built never to throw otherwise; if it does, a human decides (fail closed).
    return {
      score: 50,
      tier: 'review',
      reasons: [
        {
          rule: 'engine.error',
          category: 'uncertainty',
          weight: 50,
          detail: 'the risk engine could not assess this command',
        },
      ],
      commands: [],
      policyVersion: rt.risk.policy.version,
    };
  }
}

export async function getOwnRequest(rt: Runtime, agent: AgentPrincipal, id: string): Promise<RequestRow> {
  const [row] = await rt.database.db.select().from(schema.requests).where(eq(schema.requests.id, id));
  // Another agent's request is indistinguishable from a missing one: ids are not an oracle.
  if (!row || row.agentId !== agent.id)
    throw new GatehouseError('REQUEST_NOT_FOUND', `no request ${id} for this agent`);
  return row;
}

/**
 * Waits up to `waitSeconds` for a request to become final. Subscribes before reading, so a
 * decision made between the read and the subscription is not missed.
 */
export async function waitForFinal(
  rt: Runtime,
  agent: AgentPrincipal,
  id: string,
  waitSeconds: number,
  /** Ends the wait early: the client went away, or the server is shutting down. */
  signal?: AbortSignal,
): Promise<RequestRow> {
  let wake: () => void = () => {};
  const unsubscribe = rt.bus.subscribe((event) => {
    if (event.type === 'verdict.ready' && event.data.id === id) wake();
  });
  const stop = () => wake();
  signal?.addEventListener('abort', stop);
  try {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const row = await getOwnRequest(rt, agent, id);
      const remaining = deadline - Date.now();
      if (row.status !== 'pending' || remaining <= 0 || signal?.aborted) return row;
      await new Promise<void>((resolve) => {
        // Re-read at least every few seconds: pub/sub is best effort.
        const timer = setTimeout(resolve, Math.min(remaining, 5_000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    unsubscribe();
  }
}

/** Marks an allow verdict used. Exactly one caller wins; a verdict is single-use. */
export async function consumeVerdict(rt: Runtime, agent: AgentPrincipal, id: string): Promise<void> {
  const row = await getOwnRequest(rt, agent, id);
  if (!isAllowed(row.status))
    throw new GatehouseError('REQUEST_NOT_ALLOWED', `request is ${row.status}; there is nothing to consume`);
  if (row.verdictExpiresAt && row.verdictExpiresAt.getTime() <= Date.now()) {
    throw new GatehouseError('VERDICT_EXPIRED', 'the verdict has expired; submit the command again');
  }
  await rt.audit.transaction(async (tx, record) => {
    const updated = await tx
      .update(schema.requests)
      .set({ consumedAt: new Date() })
      .where(
        and(
          eq(schema.requests.id, id),
          eq(schema.requests.agentId, agent.id),
          inArray(schema.requests.status, ['approved', 'auto_approved']),
          isNull(schema.requests.consumedAt),
        ),
      )
      .returning({ id: schema.requests.id });
    if (updated.length === 0)
      throw new GatehouseError('VERDICT_ALREADY_USED', 'this verdict has already been used');
    record({
      type: 'verdict.consumed',
      actor: { type: 'agent', id: agent.id },
      subject: { type: 'request', id },
      data: { sessionId: agent.sessionId },
    });
  });
}

export interface ExecutionReport {
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  /** What the command printed, as timestamped chunks; masked and capped before storage. */
  output?: { chunks: OutputChunk[]; truncated: boolean };
}

export async function reportExecution(
  rt: Runtime,
  agent: AgentPrincipal,
  id: string,
  report: ExecutionReport,
): Promise<void> {
  const row = await getOwnRequest(rt, agent, id);
  if (!isAllowed(row.status))
    throw new GatehouseError('RESULT_NOT_ALLOWED', `request is ${row.status}; it was not allowed to run`);
  // A brokered request's result is the gateway's to record: an agent's report would stand in its place.
  const [brokered] = await rt.database.db
    .select({ id: schema.brokeredRequests.requestId })
    .from(schema.brokeredRequests)
    .where(eq(schema.brokeredRequests.requestId, id));
  if (brokered)
    throw new GatehouseError(
      'RESULT_NOT_ALLOWED',
      'the gateway runs this request on its connection and records the result itself',
    );
  const recording = report.output
    ? prepareRecording(report.output.chunks, report.output.truncated, rt.config.masking)
    : undefined;
  await rt.audit.transaction(async (tx, record) => {
    const inserted = await tx
      .insert(schema.executions)
      .values({
        requestId: id,
        exitCode: report.exitCode,
        signal: report.signal ?? null,
        durationMs: report.durationMs,
      })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0)
      throw new GatehouseError('RESULT_ALREADY_REPORTED', 'the result of this request was already reported');
    if (recording) {
      await tx.insert(schema.recordings).values({
        requestId: id,
        chunks: recording.chunks,
        bytes: recording.bytes,
        truncated: recording.truncated,
        masked: recording.masked,
      });
    }
    record({
      type: 'execution.reported',
      actor: { type: 'agent', id: agent.id },
      subject: { type: 'request', id },
      data: {
        exitCode: report.exitCode,
        signal: report.signal ?? null,
        durationMs: report.durationMs,
        recording: recording
          ? {
              bytes: recording.bytes,
              truncated: recording.truncated,
              withheld: recording.withheld,
              masked: recording.masked,
              sha256: recording.sha256,
            }
          : null,
      },
    });
  });
}
