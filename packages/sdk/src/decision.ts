import type { VerdictClaims } from '@gatehouse/verdict';
import { type GatehouseError, toGatehouseError } from './errors.ts';
import type { SubmittedRequest } from './protocol.ts';
import type { AuthorizationDecision, FinalStatus, Reason, Tier } from './types.ts';

/** What is known about the request so far, carried into whatever decision ends the call. */
export interface Known {
  requestId?: string;
  tier?: Tier;
  score?: number;
  reasons: Reason[];
}

export function knownFrom(submitted: SubmittedRequest): Known {
  return {
    requestId: submitted.id,
    reasons: submitted.reasons,
    ...(submitted.tier === undefined ? {} : { tier: submitted.tier }),
    ...(submitted.score === undefined ? {} : { score: submitted.score }),
  };
}

function base(known: Known): Omit<AuthorizationDecision, 'allowed' | 'status'> {
  return {
    reasons: Object.freeze([...known.reasons]),
    ...(known.requestId === undefined ? {} : { requestId: known.requestId }),
    ...(known.tier === undefined ? {} : { tier: known.tier }),
    ...(known.score === undefined ? {} : { score: known.score }),
  };
}

/** The only constructor of an allowing decision: it needs verified claims. */
export function allowDecision(
  known: Known,
  status: 'auto_approved' | 'approved',
  verdict: string,
  claims: VerdictClaims,
): AuthorizationDecision {
  return Object.freeze({
    ...base(known),
    allowed: true,
    status,
    verdict,
    claims: Object.freeze({ ...claims }),
  });
}

/** A final refusal by the server (denied, rejected, expired, cancelled). */
export function refusedDecision(
  known: Known,
  status: Exclude<FinalStatus, 'auto_approved' | 'approved'>,
  verdict?: string,
  claims?: VerdictClaims,
): AuthorizationDecision {
  return Object.freeze({
    ...base(known),
    allowed: false,
    status,
    ...(verdict === undefined ? {} : { verdict }),
    ...(claims === undefined ? {} : { claims: Object.freeze({ ...claims }) }),
  });
}

/** Any failure: never throws, whatever it is handed. */
export function errorDecision(known: Known | undefined, error: unknown): AuthorizationDecision {
  try {
    const failure: GatehouseError = toGatehouseError(error);
    return Object.freeze({
      ...base(known ?? { reasons: [] }),
      allowed: false,
      status: 'error',
      error: Object.freeze({ code: failure.code, message: failure.message }),
    });
  } catch {
    return Object.freeze({
      allowed: false,
      status: 'error',
      reasons: Object.freeze([]),
      error: Object.freeze({ code: 'ERR_INTERNAL', message: 'unexpected failure' }),
    });
  }
}
