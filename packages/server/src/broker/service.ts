import { type RequestRow, schema } from '@gatehouse/db';
import { maskText } from '@gatehouse/mask';
import { eq } from 'drizzle-orm';
import type { Principal } from '../auth/principal.ts';
import type { Credentials } from '../connections/credentials.ts';
import { type ConnectionRow, isGranted, loginOf } from '../connections/service.ts';
import { GatehouseError } from '../errors.ts';
import { grantRegistry, onGrantEnded } from '../grants/registry.ts';
import type { Runtime } from '../platform/runtime.ts';
import { digest, MAX_RECORDING_BYTES } from '../recordings/prepare.ts';
import { consumeVerdict, getOwnRequest } from '../requests/service.ts';
import { type Lease, sessionPools } from './pool.ts';
import { type MaskedResult, maskResult, type RawResult } from './result.ts';
import { TargetFailure } from './targets.ts';

type AgentPrincipal = Extract<Principal, { type: 'agent' }>;

export interface ExecutionResult extends MaskedResult {
  readOnly: boolean;
  durationMs: number;
}

interface Running {
  requestId: string;
  /** Just-in-time grants the request was approved under. */
  grants: readonly string[];
  cancel(): Promise<void>;
}

/** Executions in flight in this process, by request id: what a grant's end must stop. */
const running = new WeakMap<Runtime, Map<string, Running>>();

function registry(rt: Runtime): Map<string, Running> {
  let map = running.get(rt);
  if (!map) {
    map = new Map();
    running.set(rt, map);
  }
  return map;
}

/**
 * The just-in-time grants a request was approved under: the grants engine puts a
 * `grant:<id>` reason first on every request a grant lowered (grants/scope.ts).
 */
export function grantsOf(row: Pick<RequestRow, 'reasons'>): string[] {
  const ids = new Set<string>();
  for (const reason of row.reasons ?? []) {
    if (typeof reason.rule === 'string' && reason.rule.startsWith('grant:')) ids.add(reason.rule.slice(6));
  }
  return [...ids];
}

/**
 * Cancels, on their targets, the running executions of requests approved under this grant.
 * Each one answers EXECUTION_CANCELLED and rolls back. Returns how many were cancelled here.
 */
export async function cancelExecutionsUnderGrant(rt: Runtime, grantId: string): Promise<number> {
  const hits = [...registry(rt).values()].filter((r) => r.grants.includes(grantId));
  await Promise.all(
    hits.map((r) =>
      r.cancel().catch((error) => rt.log.warn({ err: error, requestId: r.requestId }, 'could not cancel')),
    ),
  );
  return hits.length;
}

/**
 * Subscribes the broker to grant ends: revocations arrive as `grant.ended` on the bus (from
 * any replica), expiries from this replica's grant registry timer. Returns the unsubscribe.
 */
export function watchGrantEnds(rt: Runtime): () => void {
  const cancel = (id: string) => void cancelExecutionsUnderGrant(rt, id);
  const offBus = rt.bus.subscribe((event) => {
    if (event.type === 'grant.ended') cancel(event.data.id);
  });
  const offRegistry = onGrantEnded(rt, cancel);
  return () => {
    offBus();
    offRegistry();
  };
}

const TIMEOUT_ERRNOS = new Set([1969, 3024]);
const INTERRUPTED_ERRNOS = new Set([1317]);

/**
 * The target's message, without the login and masked. Targets name the user in permission
 * errors ("command denied to user 'x'@…"), and may quote a value from the rows (a duplicate key).
 */
function targetMessage(error: unknown, rt: Runtime, login: Credentials): string {
  const e = error as { message?: unknown; code?: unknown };
  let text = `${typeof e.code === 'string' ? `${e.code}: ` : ''}${typeof e.message === 'string' ? e.message : 'the statement failed'}`;
  for (const secret of [login.password, login.user])
    if (secret.length > 0) text = text.split(secret).join('[connection login]');
  try {
    return maskText(text.slice(0, 2000), rt.config.masking).text;
  } catch {
    return 'the target refused the statement (its message could not be masked)';
  }
}

/** Turns what went wrong into the catalogue's answer; never a driver's connect or login text. */
function classify(
  rt: Runtime,
  connection: ConnectionRow,
  login: Credentials,
  error: unknown,
  state: { cancelled: boolean; timedOut: boolean },
): GatehouseError {
  if (error instanceof GatehouseError) return error;
  const name = connection.name;
  const e = error as { code?: unknown; errno?: unknown; fatal?: unknown };
  const pgCancelled = e.code === '57014';
  const myInterrupted = typeof e.errno === 'number' && INTERRUPTED_ERRNOS.has(e.errno);
  const myTimeout = typeof e.errno === 'number' && TIMEOUT_ERRNOS.has(e.errno);
  if (state.cancelled && (pgCancelled || myInterrupted || error instanceof TargetFailure))
    return new GatehouseError(
      'EXECUTION_CANCELLED',
      `the grant this request was approved under ended; the statement on ${name} was cancelled and rolled back`,
    );
  if (pgCancelled || myInterrupted || myTimeout || state.timedOut)
    return new GatehouseError(
      'STATEMENT_TIMEOUT',
      `the statement on ${name} ran longer than ${rt.config.broker.statementTimeoutMs} ms and was cancelled; nothing was committed`,
    );
  if (error instanceof TargetFailure) {
    if (error.kind === 'login')
      return new GatehouseError('TARGET_UNREACHABLE', `connection ${name} refused the gateway's login`);
    return new GatehouseError('TARGET_UNREACHABLE', `connection ${name} cannot be reached; nothing ran`);
  }
  const lost =
    e.fatal === true ||
    (typeof e.code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|PROTOCOL_)/.test(e.code)) ||
    (error instanceof Error && /Connection terminated/i.test(error.message));
  if (lost)
    return new GatehouseError(
      'TARGET_UNREACHABLE',
      `the connection to ${name} was lost during the statement; it was not committed`,
    );
  return new GatehouseError('TARGET_ERROR', `${name}: ${targetMessage(error, rt, login)}`);
}

/**
 * Runs an allowed, unconsumed brokered request on its connection: the exact statement its
 * verdict covers, on the connection the verdict names. The verdict is consumed first (once,
 * whatever happens next); a statement scored read-only runs READ ONLY; every run has the
 * statement timeout and the row cap; the result is masked before commit, fail closed.
 */
export async function executeRequest(
  rt: Runtime,
  agent: AgentPrincipal,
  id: string,
): Promise<ExecutionResult> {
  const db = rt.database.db;
  const row = await getOwnRequest(rt, agent, id);
  const [joined] = await db
    .select({ brokered: schema.brokeredRequests, connection: schema.connections })
    .from(schema.brokeredRequests)
    .leftJoin(schema.connections, eq(schema.connections.id, schema.brokeredRequests.connectionId))
    .where(eq(schema.brokeredRequests.requestId, id));
  if (!joined)
    throw new GatehouseError(
      'REQUEST_NOT_BROKERED',
      `request ${id} names no connection; run it yourself with its verdict`,
    );
  const { brokered, connection } = joined;
  if (!connection || connection.deletedAt)
    throw new GatehouseError('CONNECTION_NOT_FOUND', `connection ${brokered.connectionName} was deleted`);
  // A grant revoked after the approval stops the run: the grant is checked now, not only at submit.
  if (!(await isGranted(db, connection.id, agent)))
    throw new GatehouseError(
      'CONNECTION_NOT_GRANTED',
      `agent ${agent.id} no longer has a grant for connection ${connection.name}`,
    );
  // Approved under a grant that has ended since: it would be cancelled the moment it started.
  const grants = grantRegistry(rt);
  const ended = grantsOf(row).find((grant) => grants && !grants.isLive(grant));
  if (ended)
    throw new GatehouseError(
      'EXECUTION_CANCELLED',
      `the grant ${ended} this request was approved under has ended; submit the statement again`,
    );
  if (row.command.length > rt.config.broker.maxStatementLength)
    throw new GatehouseError('STATEMENT_TOO_LONG', 'the statement is longer than the broker runs');
  await consumeVerdict(rt, agent, id);

  const started = Date.now();
  const state = { cancelled: false, timedOut: false };
  const plan = {
    statement: row.command,
    readOnly: brokered.readOnly,
    multi: brokered.statements > 1,
    rowCap: rt.config.broker.rowCap,
    timeoutMs: rt.config.broker.statementTimeoutMs,
    connectTimeoutMs: rt.config.broker.connectTimeoutMs,
  };
  const login = loginOf(rt, connection);
  const pools = sessionPools(rt);
  let lease: Lease | undefined;
  let clean = false;
  let result: MaskedResult | undefined;
  const runs = registry(rt);
  let watchdog: NodeJS.Timeout | undefined;
  try {
    lease = await pools.acquire(connection, login, plan.connectTimeoutMs, plan.multi);
    // The session running the statement now: a stale pooled one is replaced below.
    const current = () => lease?.session;
    runs.set(id, {
      requestId: id,
      grants: grantsOf(row),
      cancel: async () => {
        state.cancelled = true;
        // A cancel that reaches the target between statements (before the statement, during
        // BEGIN) stops nothing, so it is repeated until the run has ended.
        while (runs.has(id)) {
          await current()?.cancel();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
    });
    // The target enforces the timeout itself; this covers what it does not (MySQL bounds only SELECT).
    watchdog = setTimeout(() => {
      state.timedOut = true;
      current()
        ?.cancel()
        .catch(() => {});
    }, plan.timeoutMs + 1_000);
    const beforeCommit = (raw: RawResult) => {
      // Masked before COMMIT: a result that cannot be masked rolls the statement back.
      result = maskResult(raw, rt.config.masking);
      if (state.cancelled) throw new TargetFailure('cancelled', 'cancelled');
    };
    try {
      await lease.session.run(plan, beforeCommit);
    } catch (error) {
      // A pooled session that died while idle fails before the statement is sent: nothing ran,
      // so the run is tried once on a session opened for it. Any other failure is the answer.
      if (!lease.reused || !(error instanceof TargetFailure) || error.kind !== 'lost' || state.cancelled)
        throw error;
      const stale = lease;
      lease = undefined;
      await pools.release(connection.id, stale, false);
      lease = await pools.acquire(connection, login, plan.connectTimeoutMs, plan.multi, { fresh: true });
      await lease.session.run(plan, beforeCommit);
    }
    clean = true;
  } catch (error) {
    const refusal = classify(rt, connection, login, error, state);
    await recordFailure(rt, agent, row, connection, refusal, Date.now() - started);
    throw refusal;
  } finally {
    clearTimeout(watchdog);
    runs.delete(id);
    // The reset runs after the answer: it is on the session's way back, not on this run's.
    if (lease) void pools.release(connection.id, lease, clean);
  }
  const executed: ExecutionResult = { ...result!, readOnly: plan.readOnly, durationMs: Date.now() - started };
  await recordSuccess(rt, agent, row, connection, executed);
  return executed;
}

/** The recording of a result: the masked table as one JSON chunk, capped like any recording. */
function recordingOf(result: ExecutionResult) {
  let data = JSON.stringify({
    columns: result.columns,
    rows: result.rows,
    rowCount: result.rowCount,
    truncated: result.truncated,
    affectedRows: result.affectedRows,
  });
  let truncated = result.truncated;
  if (Buffer.byteLength(data) > MAX_RECORDING_BYTES) {
    data = Buffer.from(data).subarray(0, MAX_RECORDING_BYTES).toString();
    truncated = true;
  }
  const chunks = [{ t: result.durationMs, stream: 'stdout' as const, data }];
  return { chunks, bytes: Buffer.byteLength(data), truncated, sha256: digest(chunks) };
}

async function recordSuccess(
  rt: Runtime,
  agent: AgentPrincipal,
  row: RequestRow,
  connection: ConnectionRow,
  result: ExecutionResult,
): Promise<void> {
  const recording = recordingOf(result);
  // Insert-only, so it is group-committed with concurrent changes: one statement, no transaction
  // of its own. It cannot join the verdict's consumption, which must commit before the statement runs.
  await rt.audit.commit({
    inserts: [
      [schema.executions, { requestId: row.id, exitCode: 0, signal: null, durationMs: result.durationMs }],
      [
        schema.recordings,
        {
          requestId: row.id,
          chunks: recording.chunks,
          bytes: recording.bytes,
          truncated: recording.truncated,
          masked: result.masked,
        },
      ],
    ],
    events: [
      {
        type: 'request.executed',
        actor: { type: 'system', id: 'broker' },
        subject: { type: 'request', id: row.id },
        data: {
          agentId: agent.id,
          connection: connection.name,
          readOnly: result.readOnly,
          rowCount: result.rowCount,
          truncated: result.truncated,
          affectedRows: result.affectedRows,
          columns: result.columns.length,
          masked: result.masked,
          sha256: result.sha256,
          durationMs: result.durationMs,
          recording: { bytes: recording.bytes, truncated: recording.truncated, sha256: recording.sha256 },
        },
      },
    ],
  });
}

async function recordFailure(
  rt: Runtime,
  agent: AgentPrincipal,
  row: RequestRow,
  connection: ConnectionRow,
  refusal: GatehouseError,
  durationMs: number,
): Promise<void> {
  try {
    await rt.audit.transaction(async (tx, record) => {
      await tx
        .insert(schema.executions)
        .values({ requestId: row.id, exitCode: 1, signal: null, durationMs })
        .onConflictDoNothing();
      record({
        type: 'request.execution_failed',
        actor: { type: 'system', id: 'broker' },
        subject: { type: 'request', id: row.id },
        data: {
          agentId: agent.id,
          connection: connection.name,
          code: refusal.code,
          message: refusal.message,
          durationMs,
        },
      });
    });
  } catch (error) {
    rt.log.error({ err: error, requestId: row.id }, 'could not record a failed brokered execution');
  }
}
