import { isAllowStatus, isRecord, isRequestStatus, isTier } from '@gatehouse/contract';
import { GatehouseError } from './errors.ts';
import type { FinalStatus, Reason, RequestStatus, Tier } from './types.ts';

// Parsers for the server's answers. Everything the server (or anything between us and it)
// sends is untrusted input: a shape that does not match the contract is a protocol error,
// never something to guess around.

export { isAllowStatus, isRequestStatus };

export function isFinalStatus(value: unknown): value is FinalStatus {
  return isRequestStatus(value) && value !== 'pending';
}

export interface Session {
  token: string;
  expiresAt: number;
}

export interface SubmittedRequest {
  id: string;
  status: RequestStatus;
  tier?: Tier;
  score?: number;
  reasons: Reason[];
  verdict?: string;
  /** Present while pending. */
  requiredApprovals?: number;
  /** Present while pending (epoch ms). */
  deadline?: number;
}

export interface FinalVerdict {
  status: FinalStatus;
  verdict?: string;
}

function protocol(message: string): GatehouseError {
  return new GatehouseError('ERR_PROTOCOL', message);
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function optionalVerdict(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !COMPACT_JWS.test(value)) throw protocol('verdict is not a compact JWS');
  return value;
}

export function parseSession(body: unknown, now = Date.now()): Session {
  if (!isRecord(body) || typeof body.token !== 'string' || body.token.length === 0) {
    throw protocol('session response has no token');
  }
  const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : Number.NaN;
  if (!Number.isFinite(expiresAt)) throw protocol('session response has no valid expiresAt');
  if (expiresAt <= now) throw protocol('session token is already expired');
  return { token: body.token, expiresAt };
}

export function parseReasons(value: unknown): Reason[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw protocol('reasons is not an array');
  return value.map((reason) => {
    if (!isRecord(reason) || typeof reason.rule !== 'string') throw protocol('reason without a rule');
    return { ...reason, rule: reason.rule } as Reason;
  });
}

export function parseSubmitted(body: unknown): SubmittedRequest {
  if (!isRecord(body)) throw protocol('request response is not an object');
  if (typeof body.id !== 'string' || body.id.length === 0) throw protocol('request response has no id');
  if (!isRequestStatus(body.status)) throw protocol(`unknown request status ${JSON.stringify(body.status)}`);
  const submitted: SubmittedRequest = {
    id: body.id,
    status: body.status,
    reasons: parseReasons(body.reasons),
  };
  if (isTier(body.tier)) submitted.tier = body.tier;
  if (typeof body.score === 'number' && Number.isFinite(body.score)) submitted.score = body.score;
  const verdict = optionalVerdict(body.verdict);
  if (verdict !== undefined) submitted.verdict = verdict;
  // Informative only (shown while waiting); a malformed value is dropped, not trusted.
  if (Number.isInteger(body.requiredApprovals) && (body.requiredApprovals as number) > 0)
    submitted.requiredApprovals = body.requiredApprovals as number;
  const deadline = typeof body.deadline === 'string' ? Date.parse(body.deadline) : Number.NaN;
  if (Number.isFinite(deadline)) submitted.deadline = deadline;
  return submitted;
}

/** A 200 from the verdict endpoint or a `verdict.ready` event: must be final. */
export function parseFinalVerdict(body: unknown): FinalVerdict {
  if (!isRecord(body)) throw protocol('verdict response is not an object');
  if (!isFinalStatus(body.status))
    throw protocol(`verdict response has non-final status ${JSON.stringify(body.status)}`);
  const verdict = optionalVerdict(body.verdict);
  return verdict === undefined ? { status: body.status } : { status: body.status, verdict };
}

export interface StreamVerdict extends FinalVerdict {
  id: string;
}

/**
 * A message from `/v1/stream`. Returns undefined for anything that is not a well-formed
 * `verdict.ready`: other event types are expected, and a garbled message must not end
 * the wait (the long-poll still runs).
 */
export function parseStreamMessage(raw: string): StreamVerdict | undefined {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || message.type !== 'verdict.ready' || !isRecord(message.data)) return undefined;
  const { data } = message;
  if (typeof data.id !== 'string') return undefined;
  try {
    return { id: data.id, ...parseFinalVerdict(data) };
  } catch {
    return undefined;
  }
}

export function parseConsumed(body: unknown): void {
  if (!isRecord(body) || body.consumed !== true)
    throw protocol('server did not confirm the verdict was consumed');
}

/** Reads `{"error": {"code", "message"}}`; tolerant, since it only decorates a refusal. */
export function parseServerError(body: unknown): { code?: string; message?: string } {
  if (!isRecord(body) || !isRecord(body.error)) return {};
  const { code, message } = body.error;
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { message: message.slice(0, 500) } : {}),
  };
}
