import { describeGrant, type GrantCeiling, type GrantScope } from '@gatehouse/contract';
import type { CommandSubject, VerdictClaims } from '@gatehouse/verdict';
import { abortError } from './abort.ts';
import { GatehouseError, type GatehouseErrorCode, toGatehouseError } from './errors.ts';
import type { SafeLogger } from './logger.ts';
import { type FinalVerdict, isAllowStatus, isFinalStatus } from './protocol.ts';
import type { FinalStatus, RequestStatus } from './types.ts';

export interface GrantRequestInput {
  /** A registered connection (brokered SQL), or a command pattern (`program` is required). */
  scope: GrantScope;
  /** The highest tier the grant lets through; never `deny`. */
  ceiling: GrantCeiling;
  /** At most the server's GATEHOUSE_GRANT_MAX_MINUTES. */
  durationMinutes: number;
  reason: string;
  environment?: string;
  signal?: AbortSignal;
  /** Overrides the client's overall timeout for this call: how long to wait for approvers. */
  timeoutMs?: number;
}

/** What asking for a grant came to. `granted: true` only with a verified allow verdict for this grant. */
export type GrantDecision =
  | {
      granted: true;
      grantId: string;
      requestId: string;
      status: 'approved';
      /** No later than this instant the grant stops covering requests (verdict time + duration). */
      endsAt: Date;
      claims: VerdictClaims;
    }
  | {
      granted: false;
      grantId?: string;
      requestId?: string;
      status?: FinalStatus | RequestStatus;
      error: { code: GatehouseErrorCode; message: string };
    };

/** What the client lends the grant flow: its session-bound calls and its verdict checks. */
export interface GrantDeps {
  submit(body: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
  waitFor(requestId: string, deadline: number, signal: AbortSignal): Promise<FinalVerdict>;
  verify(verdict: string, subject: CommandSubject, requestId: string): Promise<VerdictClaims>;
  acquireStream(): (() => void) | undefined;
  closing: AbortSignal;
  timeoutMs: number;
  log: SafeLogger;
}

interface Asked {
  grant: { id: string };
  request: { id: string; status: RequestStatus };
}

function parseAsked(body: unknown): Asked {
  const b = body as Partial<Asked> | null;
  if (
    typeof b?.grant?.id !== 'string' ||
    typeof b.request?.id !== 'string' ||
    typeof b.request.status !== 'string'
  )
    throw new GatehouseError('ERR_PROTOCOL', 'the grant answer lacks its grant or request id');
  return b as Asked;
}

/**
 * Asks for a grant and waits for the approvers like `authorize` waits for a command: the
 * grant counts only once its request's verdict verifies as `allow` for exactly this grant
 * (kind `grant`, the same text the server derives). Never throws.
 */
export async function requestGrantWith(deps: GrantDeps, input: GrantRequestInput): Promise<GrantDecision> {
  let ids: { grantId?: string; requestId?: string } = {};
  let timer: NodeJS.Timeout | undefined;
  let release: (() => void) | undefined;
  try {
    const timeoutMs = input.timeoutMs ?? deps.timeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new GatehouseError('ERR_INVALID_ARGUMENT', 'timeoutMs must be a positive number');
    const subject: CommandSubject = {
      kind: 'grant',
      command: describeGrant(input.scope, input.ceiling, input.durationMinutes),
      dialect: null,
      target: null,
    };
    const deadline = Date.now() + timeoutMs;
    const expiry = new AbortController();
    timer = setTimeout(
      () =>
        expiry.abort(new GatehouseError('ERR_TIMEOUT', `no decision on the grant within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const signal = AbortSignal.any([expiry.signal, deps.closing, ...(input.signal ? [input.signal] : [])]);
    if (signal.aborted) throw abortError(signal);
    release = deps.acquireStream();
    const asked = parseAsked(
      await deps.submit(
        {
          scope: input.scope,
          ceiling: input.ceiling,
          durationMinutes: input.durationMinutes,
          reason: input.reason,
          ...(input.environment ? { environment: input.environment } : {}),
        },
        signal,
      ),
    );
    ids = { grantId: asked.grant.id, requestId: asked.request.id };
    deps.log.info('gatehouse: grant requested', ids);
    const final: FinalVerdict = isFinalStatus(asked.request.status)
      ? { status: asked.request.status }
      : await deps.waitFor(asked.request.id, deadline, signal);
    if (!isAllowStatus(final.status))
      return {
        granted: false,
        ...ids,
        status: final.status,
        error: {
          code: 'ERR_NOT_ALLOWED',
          message: `the grant was not given: its request is ${final.status}`,
        },
      };
    if (!final.verdict)
      throw new GatehouseError('ERR_PROTOCOL', `status ${final.status} came without a verdict`);
    const claims = await deps.verify(final.verdict, subject, asked.request.id);
    if (claims.decision !== 'allow')
      throw new GatehouseError(
        'ERR_VERDICT_STATUS_MISMATCH',
        `status ${final.status} but the signed decision is deny`,
      );
    return {
      granted: true,
      grantId: asked.grant.id,
      requestId: asked.request.id,
      status: 'approved',
      endsAt: new Date(claims.iat * 1000 + input.durationMinutes * 60_000),
      claims,
    };
  } catch (error) {
    const failure = toGatehouseError(error);
    deps.log.warn('gatehouse: grant not given', { ...ids, error: failure.code });
    return { granted: false, ...ids, error: { code: failure.code, message: failure.message } };
  } finally {
    if (timer) clearTimeout(timer);
    release?.();
  }
}
