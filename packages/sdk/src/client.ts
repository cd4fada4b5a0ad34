import type { BackoffOptions } from '@gatehouse/contract';
import type { MaskingConfig } from '@gatehouse/mask';
import {
  type CommandSubject,
  targetOf,
  type VerdictClaims,
  VerdictError,
  verifyVerdict,
} from '@gatehouse/verdict';
import type { JSONWebKeySet } from 'jose';
import { abortError } from './abort.ts';
import { allowDecision, errorDecision, type Known, knownFrom, refusedDecision } from './decision.ts';
import { GatehouseError, toGatehouseError } from './errors.ts';
import { type GrantDecision, type GrantRequestInput, requestGrantWith } from './grants.ts';
import { callJson, endpoint, type FetchLike, type HttpResponse } from './http.ts';
import { createKeySet, type KeySet } from './jwks.ts';
import { type SafeLogger, safeLogger } from './logger.ts';
import { maskCaptured } from './masking.ts';
import {
  type FinalVerdict,
  isAllowStatus,
  isFinalStatus,
  parseConsumed,
  parseSubmitted,
  type SubmittedRequest,
} from './protocol.ts';
import { DEFAULT_MAX_RECORD_BYTES, type RecordedOutput } from './recorder.ts';
import { type Execution, execute } from './run.ts';
import { SessionManager } from './session.ts';
import {
  CONNECTION_DIALECTS,
  connectionTarget,
  parseSqlResult,
  SqlRefusedError,
  type SqlResult,
} from './sql.ts';
import { VerdictStream } from './stream.ts';
import type {
  AuthorizationDecision,
  AuthorizeInput,
  Logger,
  PendingRequest,
  RequestContext,
} from './types.ts';
import { waitForVerdict } from './wait.ts';

export interface GatehouseClientOptions {
  /** Base URL of the Gatehouse API, e.g. `https://gatehouse.internal`. Use TLS outside localhost. */
  url: string | URL;
  /** The agent key an admin issued; only ever sent to `POST /v1/sessions`. */
  agentKey: string;
  /** Longest an authorization may take, waiting for humans included. Default 15 minutes. */
  timeoutMs?: number;
  /** Longest a single HTTP call may take (long-polls get this on top of their wait). Default 10 s. */
  requestTimeoutMs?: number;
  /** Expected `iss` of verdicts. */
  issuer?: string;
  /** This agent's id; when set, a verdict issued to another agent is refused. */
  agentId?: string;
  /** Pin the verdict keys instead of trusting the server's JWKS (see README, "Threat model"). */
  trustedKeys?: JSONWebKeySet;
  /** Requested session lifetime; the server caps it at one hour. */
  sessionTtlSeconds?: number;
  /** Allowed clock skew with the server when checking `exp`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Set false to wait by long-poll only. Default true. */
  stream?: boolean;
  logger?: Logger;
  /** Replaces global fetch (proxies, instrumentation). */
  fetch?: FetchLike;
  /**
   * Detectors applied to output `run` hands back (see the policy's `masking` section).
   * Default: every built-in detector.
   */
  masking?: MaskingConfig;
  /** Retry pacing for the long-poll and the stream. */
  backoff?: BackoffOptions;
}

export interface RunOptions {
  context?: RequestContext;
  /** Where the command runs; also sent as `context.cwd`. Defaults to `process.cwd()`. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the command after this long. No limit by default. */
  timeoutMs?: number;
  /** `pipe` captures stdout/stderr into the result; default `inherit`. */
  stdio?: 'inherit' | 'pipe';
  /** Per-stream capture limit for `stdio: 'pipe'`. Default 10 MiB. */
  maxOutputBytes?: number;
  /**
   * Send the output with the result, for replay by approvers and auditors; the server masks
   * secrets before storing it. Default true. Recording reads the command's stdout/stderr
   * through pipes (copied on to this process's own with `stdio: 'inherit'`), so a command
   * that needs a terminal should run with `record: false`.
   */
  record?: boolean;
  /**
   * Mask secrets in the `stdout`/`stderr` returned with `stdio: 'pipe'` before the caller (often
   * a model's context) sees them. Default true; if masking fails, the output is withheld.
   */
  mask?: boolean;
  /** Recording cap in bytes. Default `DEFAULT_MAX_RECORD_BYTES` (1 MiB). */
  maxRecordBytes?: number;
  /** Cancels the authorization, or kills the command once it runs. */
  signal?: AbortSignal;
  /** Overrides the client's authorization timeout. */
  authorizeTimeoutMs?: number;
  /** See `AuthorizeInput.onPending`. */
  onPending?: AuthorizeInput['onPending'];
  /** See `AuthorizeInput.resumeRequestId`. */
  resumeRequestId?: string;
}

export interface RunResult {
  /** True only if the command was authorized; then it was started. */
  readonly allowed: boolean;
  readonly decision: AuthorizationDecision;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly durationMs?: number;
  readonly timedOut?: boolean;
  /** Masked unless `mask: false` (see `masked` and `withheld`). */
  readonly stdout?: string;
  readonly stderr?: string;
  readonly truncated?: boolean;
  /** How many values masking replaced in stdout and stderr. */
  readonly masked?: number;
  /** Masking failed, so stdout/stderr were replaced by a notice instead of passed on. */
  readonly withheld?: boolean;
  /** The shell could not be started although the command was authorized. */
  readonly spawnError?: string;
  /** Reporting the result to the server failed; the command had already run. */
  readonly reportError?: { code: string; message: string };
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024;

/**
 * The agent side of Gatehouse. Every method that returns a decision is total: it never
 * throws, and any failure anywhere is `allowed: false`.
 */
export class GatehouseClient {
  private readonly baseUrl: URL;
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly clockToleranceSeconds: number;
  private readonly fetch: FetchLike;
  private readonly log: SafeLogger;
  private readonly session: SessionManager;
  private readonly keys: KeySet;
  private readonly stream: VerdictStream | undefined;
  /** Request ids (verdict `jti`s) this process has already tried to use, with their expiry. */
  private readonly consumed = new Map<string, number>();
  private readonly closing = new AbortController();

  constructor(private readonly options: GatehouseClientOptions) {
    this.baseUrl = new URL(options.url);
    if (this.baseUrl.protocol !== 'http:' && this.baseUrl.protocol !== 'https:') {
      throw new GatehouseError('ERR_INVALID_ARGUMENT', 'url must be http(s)');
    }
    if (typeof options.agentKey !== 'string' || options.agentKey.length === 0) {
      throw new GatehouseError('ERR_INVALID_ARGUMENT', 'agentKey is required');
    }
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.requestTimeoutMs = positive(
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      'requestTimeoutMs',
    );
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? 5;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.log = safeLogger(options.logger);
    if (this.baseUrl.protocol === 'http:' && !isLoopback(this.baseUrl.hostname) && !options.trustedKeys) {
      this.log.warn(
        'gatehouse url is plain http: anyone on the path can read the session token and serve forged keys',
      );
    }
    this.session = new SessionManager({
      baseUrl: this.baseUrl,
      agentKey: options.agentKey,
      requestTimeoutMs: this.requestTimeoutMs,
      fetch: this.fetch,
      ...(options.sessionTtlSeconds === undefined ? {} : { ttlSeconds: options.sessionTtlSeconds }),
    });
    this.keys = createKeySet({
      baseUrl: this.baseUrl,
      requestTimeoutMs: this.requestTimeoutMs,
      ...(options.trustedKeys ? { trustedKeys: options.trustedKeys } : {}),
    });
    this.stream =
      options.stream === false
        ? undefined
        : new VerdictStream({
            url: endpoint(this.baseUrl, '/v1/stream', 'ws'),
            token: () => this.session.token(this.closing.signal),
            invalidate: (token) => this.session.invalidate(token),
            handshakeTimeoutMs: this.requestTimeoutMs,
            logger: this.log,
            ...(options.backoff ? { backoff: options.backoff } : {}),
          });
  }

  /**
   * Submits the command, waits for the final verdict, verifies it against the published
   * keys and this exact command, and consumes it. Never throws.
   */
  async authorize(input: AuthorizeInput): Promise<AuthorizationDecision> {
    return this.authorizeWith(input, true);
  }

  /** `consume: false` for brokered statements: the gateway uses the verdict when it runs them. */
  private async authorizeWith(input: AuthorizeInput, consume: boolean): Promise<AuthorizationDecision> {
    let known: Known | undefined;
    let timer: NodeJS.Timeout | undefined;
    let release: (() => void) | undefined;
    try {
      const request = snapshot(input);
      const timeoutMs = positive(request.timeoutMs, this.timeoutMs, 'timeoutMs');
      const deadline = Date.now() + timeoutMs;
      const expiry = new AbortController();
      timer = setTimeout(
        () => expiry.abort(new GatehouseError('ERR_TIMEOUT', `no usable verdict within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const signal = AbortSignal.any([
        expiry.signal,
        this.closing.signal,
        ...(request.signal ? [request.signal] : []),
      ]);
      if (signal.aborted) throw abortError(signal);

      // Listen before submitting: a verdict can be decided before the submit call returns.
      release = this.stream?.acquire();

      if (request.resumeRequestId !== undefined) {
        // Nothing is submitted: the earlier request's verdict must still match this subject.
        const requestId = request.resumeRequestId;
        known = { requestId, reasons: [] };
        this.log.info('gatehouse: resuming the wait for a request', { requestId });
        const final = await this.waitFor(requestId, deadline, signal);
        release?.();
        release = undefined;
        return await this.conclude(request, requestId, known, final, signal, consume);
      }

      const submitted = parseSubmitted(
        (
          await this.session.withToken(
            (token) => this.call('POST', '/v1/requests', token, signal, request.body),
            signal,
          )
        ).body,
      );
      known = knownFrom(submitted);
      this.log.info('gatehouse: request submitted', {
        requestId: submitted.id,
        status: submitted.status,
        tier: submitted.tier,
      });

      let final: FinalVerdict;
      if (isFinalStatus(submitted.status)) {
        final = {
          status: submitted.status,
          ...(submitted.verdict === undefined ? {} : { verdict: submitted.verdict }),
        };
      } else {
        notifyPending(request.onPending, submitted, this.log);
        final = await this.waitFor(submitted.id, deadline, signal);
      }
      release?.();
      release = undefined;

      return await this.conclude(request, submitted.id, known, final, signal, consume);
    } catch (error) {
      const decision = errorDecision(known, error);
      this.log.warn('gatehouse: not allowed', { requestId: decision.requestId, error: decision.error });
      return decision;
    } finally {
      if (timer) clearTimeout(timer);
      release?.();
    }
  }

  /**
   * Authorizes `command` as a shell command and, only if allowed, runs it with
   * `/bin/sh -c`, then reports exit code and duration. Never throws; never spawns
   * anything when not allowed.
   */
  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    let decision: AuthorizationDecision;
    let cwd: string;
    try {
      cwd = runDirectory(options);
      decision = await this.authorize({
        kind: 'shell',
        command,
        context: { ...options.context, cwd },
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.authorizeTimeoutMs === undefined ? {} : { timeoutMs: options.authorizeTimeoutMs }),
        ...(options.onPending ? { onPending: options.onPending } : {}),
        ...(options.resumeRequestId === undefined ? {} : { resumeRequestId: options.resumeRequestId }),
      });
    } catch (error) {
      return Object.freeze({ allowed: false, decision: errorDecision(undefined, error) });
    }
    if (!isRunnable(decision, this.clockToleranceSeconds)) {
      return Object.freeze({
        allowed: false,
        decision: decision.allowed
          ? errorDecision(
              { ...decision, reasons: [...decision.reasons] },
              new VerdictError('ERR_VERDICT_EXPIRED', 'verdict expired before the command started'),
            )
          : decision,
      });
    }

    let execution: Execution;
    try {
      execution = await execute(command, {
        cwd,
        stdio: options.stdio ?? 'inherit',
        maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        recordBytes: options.record === false ? 0 : (options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES),
        ...(options.env ? { env: options.env } : {}),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      execution = { exitCode: null, signal: null, durationMs: 0, timedOut: false, spawnError: String(error) };
    }

    const reportError = await this.report(decision.requestId!, execution);
    return Object.freeze({
      allowed: true,
      decision,
      exitCode: execution.exitCode,
      signal: execution.signal,
      durationMs: execution.durationMs,
      timedOut: execution.timedOut,
      ...(execution.stdout === undefined
        ? {}
        : options.mask === false
          ? { stdout: execution.stdout, stderr: execution.stderr ?? '' }
          : maskCaptured(execution.stdout, execution.stderr ?? '', this.options.masking)),
      ...(execution.truncated === undefined ? {} : { truncated: execution.truncated }),
      ...(execution.spawnError === undefined ? {} : { spawnError: execution.spawnError }),
      ...(reportError ? { reportError } : {}),
    });
  }

  /**
   * Submits `statement` for the gateway to run on the registered `connection`, waits for the
   * verdict like `run` does and verifies it, then asks the gateway to execute it. Answers the
   * masked rows. Throws a GatehouseError when the statement is not allowed (`ERR_NOT_ALLOWED`)
   * or the gateway could not run it (its code in `serverCode`): never partial rows as if complete.
   */
  async sql(connection: string, statement: string, options: SqlOptions = {}): Promise<SqlResult> {
    const decision = await this.authorizeWith(
      {
        kind: 'sql',
        command: statement,
        connection,
        ...(options.dialect ? { dialect: options.dialect } : {}),
        ...(options.context ? { context: options.context } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.authorizeTimeoutMs === undefined ? {} : { timeoutMs: options.authorizeTimeoutMs }),
        ...(options.onPending ? { onPending: options.onPending } : {}),
        ...(options.resumeRequestId === undefined ? {} : { resumeRequestId: options.resumeRequestId }),
      },
      false,
    );
    if (!isRunnable(decision, this.clockToleranceSeconds)) throw new SqlRefusedError(decision);
    const requestId = decision.requestId!;
    const response = await this.session.withToken(
      (token) =>
        this.call(
          'POST',
          `/v1/requests/${encodeURIComponent(requestId)}/execute`,
          token,
          options.signal ?? this.closing.signal,
          {},
          options.executeTimeoutMs ?? DEFAULT_EXECUTE_TIMEOUT_MS,
        ),
      options.signal ?? this.closing.signal,
    );
    return parseSqlResult(response.body, decision, this.options.masking, options.mask !== false);
  }

  /**
   * Asks for a just-in-time grant (a connection or a command pattern, up to a tier, for some
   * minutes) and waits for the approvers. While it lives, this agent's requests inside it are
   * approved at once with reason `grant:<id>`. Never throws; see grants.ts.
   */
  async requestGrant(input: GrantRequestInput): Promise<GrantDecision> {
    return requestGrantWith(
      {
        submit: async (body, signal) =>
          (
            await this.session.withToken(
              (token) => this.call('POST', '/v1/grants', token, signal, body),
              signal,
            )
          ).body,
        waitFor: (requestId, deadline, signal) => this.waitFor(requestId, deadline, signal),
        verify: (verdict, subject, requestId) => this.verify(verdict, [subject], requestId),
        acquireStream: () => this.stream?.acquire(),
        closing: this.closing.signal,
        timeoutMs: this.timeoutMs,
        log: this.log,
      },
      input,
    );
  }

  /**
   * Reports an execution; resolves with the failure instead of throwing. `output` (recorded
   * stdout/stderr chunks) is sent only when given; servers that do not record output ignore it.
   */
  async reportResult(
    requestId: string,
    result: ExecutionReport,
  ): Promise<{ code: string; message: string } | undefined> {
    try {
      await this.session.withToken(
        (token) =>
          this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/result`, token, undefined, result),
        undefined,
      );
      return undefined;
    } catch (error) {
      const failure = toGatehouseError(error);
      this.log.warn('gatehouse: result report failed', { requestId, code: failure.code });
      return { code: failure.code, message: failure.message };
    }
  }

  /** Aborts every authorization in flight (they return ERR_CLOSED) and drops the stream. */
  close(): void {
    this.closing.abort(new GatehouseError('ERR_CLOSED', 'the client was closed'));
    this.stream?.close();
    this.session.clear();
  }

  private async report(requestId: string, execution: Execution) {
    // A shell that never started did not run anything; -1 keeps the audit honest about it.
    const exitCode = execution.exitCode ?? (execution.signal ? 128 : -1);
    return this.reportResult(requestId, {
      exitCode,
      durationMs: execution.durationMs,
      ...(execution.signal ? { signal: execution.signal } : {}),
      ...(execution.output ? { output: execution.output } : {}),
    });
  }

  private waitFor(requestId: string, deadline: number, signal: AbortSignal): Promise<FinalVerdict> {
    const path = `/v1/requests/${encodeURIComponent(requestId)}/verdict`;
    const stream = this.stream;
    return waitForVerdict(
      {
        deadline,
        logger: this.log,
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
        poll: (waitSeconds, pollSignal) =>
          this.session.withToken(
            (token) =>
              this.call(
                'GET',
                `${path}?wait=${waitSeconds}`,
                token,
                pollSignal,
                undefined,
                waitSeconds * 1000,
              ),
            pollSignal,
          ),
        ...(stream ? { pushed: (pushSignal: AbortSignal) => stream.next(requestId, pushSignal) } : {}),
      },
      signal,
    );
  }

  /** Turns a final status into a decision; the only path to `allowed: true`. */
  private async conclude(
    request: Snapshot,
    requestId: string,
    known: Known,
    final: FinalVerdict,
    signal: AbortSignal,
    consume: boolean,
  ): Promise<AuthorizationDecision> {
    const subjects = request.subjects;
    if (!isAllowStatus(final.status)) {
      const status = final.status as Exclude<typeof final.status, 'auto_approved' | 'approved'>;
      // Claims of a refusal are informative only; a refusal stands even if they do not verify.
      const claims = final.verdict
        ? await this.verify(final.verdict, subjects, requestId).catch(() => undefined)
        : undefined;
      this.log.info('gatehouse: refused', { requestId, status });
      return refusedDecision(known, status, final.verdict, claims);
    }
    if (!final.verdict)
      throw new GatehouseError('ERR_PROTOCOL', `status ${final.status} came without a verdict`);
    const claims = await this.verify(final.verdict, subjects, requestId);
    if (claims.decision !== 'allow') {
      throw new GatehouseError(
        'ERR_VERDICT_STATUS_MISMATCH',
        `status ${final.status} but the signed decision is ${claims.decision}`,
      );
    }
    if (signal.aborted) throw abortError(signal);
    if (consume) await this.consume(requestId, claims);
    if (signal.aborted) throw abortError(signal);
    const decision = allowDecision(
      known,
      final.status as 'auto_approved' | 'approved',
      final.verdict,
      claims,
    );
    this.log.info('gatehouse: allowed', { requestId, status: final.status });
    return decision;
  }

  /**
   * Verifies the verdict against the subject, or against the first of several that differ only
   * in dialect (a brokered statement, whose dialect the server takes from the connection).
   */
  private async verify(
    verdict: string,
    subjects: readonly CommandSubject[],
    requestId: string,
  ): Promise<VerdictClaims> {
    const resolver = this.keys.resolver();
    let mismatch: unknown;
    for (const subject of subjects) {
      try {
        return await verifyVerdict(verdict, resolver.getKey, {
          subject,
          requestId,
          clockToleranceSeconds: this.clockToleranceSeconds,
          ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
          ...(this.options.agentId === undefined ? {} : { agentId: this.options.agentId }),
        });
      } catch (error) {
        if (!(error instanceof VerdictError && error.code === 'ERR_VERDICT_COMMAND_MISMATCH'))
          throw resolver.failure() ?? error;
        mismatch = error;
      }
    }
    throw resolver.failure() ?? mismatch;
  }

  /** Marks the verdict used, here first and then on the server; any doubt is a refusal. */
  private async consume(requestId: string, claims: VerdictClaims): Promise<void> {
    const now = Date.now();
    for (const [jti, exp] of this.consumed) if (exp * 1000 < now - 60_000) this.consumed.delete(jti);
    if (this.consumed.has(claims.jti)) {
      throw new GatehouseError('ERR_VERDICT_REPLAYED', 'this verdict was already used by this process');
    }
    this.consumed.set(claims.jti, claims.exp);
    let response: HttpResponse;
    try {
      response = await this.session.withToken(
        (token) =>
          this.call(
            'POST',
            `/v1/requests/${encodeURIComponent(requestId)}/consume`,
            token,
            this.closing.signal,
            {},
          ),
        this.closing.signal,
      );
    } catch (error) {
      if (error instanceof GatehouseError && error.status === 409) {
        // The server says why it refused: a verdict that lapsed is not a replay.
        const expired = error.serverCode === 'VERDICT_EXPIRED';
        throw new GatehouseError(
          expired ? 'ERR_VERDICT_EXPIRED' : 'ERR_VERDICT_REPLAYED',
          expired
            ? 'the verdict expired on the server before it was used'
            : 'the server says this verdict was already used',
          { status: 409, ...(error.serverCode ? { serverCode: error.serverCode } : {}) },
        );
      }
      throw error;
    }
    parseConsumed(response.body);
  }

  private call(
    method: 'GET' | 'POST',
    path: string,
    token: string,
    signal: AbortSignal | undefined,
    body?: unknown,
    extraTimeoutMs = 0,
  ): Promise<HttpResponse> {
    return callJson(endpoint(this.baseUrl, path), {
      method,
      token,
      timeoutMs: this.requestTimeoutMs + extraTimeoutMs,
      fetch: this.fetch,
      ...(signal ? { signal } : {}),
      ...(body === undefined ? {} : { body }),
    });
  }
}

interface Snapshot {
  subject: CommandSubject;
  /** What the verdict may cover: the subject, or for a connection one per possible dialect. */
  subjects: readonly CommandSubject[];
  body: Record<string, unknown>;
  signal?: AbortSignal;
  timeoutMs?: number;
  onPending?: (pending: PendingRequest) => void;
  resumeRequestId?: string;
}

/** Longest the gateway may take to run a brokered statement, beyond the request timeout. */
const DEFAULT_EXECUTE_TIMEOUT_MS = 65_000;

export interface SqlOptions {
  /** The connection's dialect, when known; otherwise the server's choice is accepted. */
  dialect?: (typeof CONNECTION_DIALECTS)[number];
  context?: Omit<RequestContext, 'database'>;
  signal?: AbortSignal;
  /** Overrides the client's overall timeout for the authorization. */
  authorizeTimeoutMs?: number;
  /** How long the execute call may take beyond the request timeout (the server has its own statement timeout). */
  executeTimeoutMs?: number;
  onPending?: (pending: PendingRequest) => void;
  /** Mask the rows again in this process (default true; the server always masks). */
  mask?: boolean;
  /** Wait for this earlier request (same statement and connection) instead of submitting again. */
  resumeRequestId?: string;
}

export interface ExecutionReport {
  exitCode: number;
  durationMs: number;
  signal?: string;
  /** The recorded output; the server masks it before storing. */
  output?: RecordedOutput;
}

function notifyPending(
  onPending: ((pending: PendingRequest) => void) | undefined,
  submitted: SubmittedRequest,
  log: SafeLogger,
): void {
  if (!onPending) return;
  try {
    onPending(
      Object.freeze({
        requestId: submitted.id,
        reasons: Object.freeze([...submitted.reasons]),
        ...(submitted.tier === undefined ? {} : { tier: submitted.tier }),
        ...(submitted.score === undefined ? {} : { score: submitted.score }),
        ...(submitted.requiredApprovals === undefined
          ? {}
          : { requiredApprovals: submitted.requiredApprovals }),
        ...(submitted.deadline === undefined ? {} : { deadline: new Date(submitted.deadline) }),
      }),
    );
  } catch (error) {
    // A display callback must not change the outcome of an authorization.
    log.warn('gatehouse: onPending callback threw', { error: String(error) });
  }
}

const CONTEXT_FIELDS = ['cwd', 'host', 'database', 'environment', 'tool', 'justification'] as const;

/**
 * Reads the caller's input exactly once. The body sent to the server and the subject the
 * verdict is checked against come from the same copy, so an input whose getters change
 * between reads cannot get one command approved and another one checked.
 */
function snapshot(input: AuthorizeInput): Snapshot {
  if (typeof input !== 'object' || input === null) throw invalid('input must be an object');
  const { kind, command, dialect, context, signal, timeoutMs, onPending, resumeRequestId, connection } =
    input;
  if (kind !== 'shell' && kind !== 'sql') throw invalid('kind must be "shell" or "sql"');
  if (typeof command !== 'string' || command.trim().length === 0)
    throw invalid('command must be a non-empty string');
  if (dialect !== undefined && typeof dialect !== 'string') throw invalid('dialect must be a string');
  const copy: RequestContext = {};
  if (context !== undefined) {
    if (typeof context !== 'object' || context === null) throw invalid('context must be an object');
    for (const field of CONTEXT_FIELDS) {
      const value: unknown = context[field];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw invalid(`context.${field} must be a string`);
      copy[field] = value;
    }
  }
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalid('signal must be an AbortSignal');
  if (onPending !== undefined && typeof onPending !== 'function')
    throw invalid('onPending must be a function');
  if (resumeRequestId !== undefined && (typeof resumeRequestId !== 'string' || resumeRequestId.length === 0))
    throw invalid('resumeRequestId must be a non-empty string');
  if (connection !== undefined && (typeof connection !== 'string' || connection.length === 0))
    throw invalid('connection must be a non-empty string');
  if (connection !== undefined && kind !== 'sql') throw invalid('a connection runs SQL: kind must be "sql"');
  const sqlDialect = kind === 'sql' ? dialect : undefined;
  const target = connection === undefined ? targetOf(kind, copy) : connectionTarget(connection);
  const subject: CommandSubject = { kind, command, dialect: sqlDialect ?? null, target };
  return {
    subject,
    subjects:
      connection === undefined || sqlDialect !== undefined
        ? [subject]
        : CONNECTION_DIALECTS.map((d) => ({ ...subject, dialect: d })),
    body: {
      kind,
      command,
      ...(connection === undefined ? {} : { connection }),
      ...(sqlDialect === undefined ? {} : { dialect: sqlDialect }),
      ...(Object.keys(copy).length === 0 ? {} : { context: copy }),
    },
    ...(signal ? { signal } : {}),
    ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
    ...(onPending ? { onPending } : {}),
    ...(resumeRequestId === undefined ? {} : { resumeRequestId }),
  };
}

function runDirectory(options: RunOptions): string {
  const fromContext = options.context?.cwd;
  const cwd = options.cwd ?? fromContext ?? process.cwd();
  // The approver saw one directory; running in another would not be what was approved.
  if (options.cwd !== undefined && fromContext !== undefined && options.cwd !== fromContext) {
    throw invalid('cwd and context.cwd disagree');
  }
  return cwd;
}

function isRunnable(decision: AuthorizationDecision, toleranceSeconds: number): boolean {
  if (decision.allowed !== true || !decision.claims || decision.requestId === undefined) return false;
  return decision.claims.exp * 1000 + toleranceSeconds * 1000 > Date.now();
}

function invalid(message: string): GatehouseError {
  return new GatehouseError('ERR_INVALID_ARGUMENT', message);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(`${name} must be a positive number`);
  return Math.ceil(value);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}
