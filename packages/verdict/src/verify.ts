import { isTier } from '@gatehouse/contract';
import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { VerdictClaims } from './claims.ts';
import type { CommandSubject } from './command.ts';
import { commandHash } from './command.ts';
import { VerdictError } from './errors.ts';
import { VERDICT_ALG, VERDICT_TYP } from './sign.ts';

export interface VerdictExpectation {
  /** The command about to run; the verdict must name exactly this one. */
  subject: CommandSubject;
  /** Expected issuer, when the caller knows it. */
  issuer?: string;
  /** The agent that asked; a verdict issued to another agent is refused. */
  agentId?: string;
  /** The request the caller submitted; a verdict for another request is refused. */
  requestId?: string;
  now?: Date;
  /** Allowed clock skew between the server and this host, in seconds. */
  clockToleranceSeconds?: number;
}

/**
 * Verifies signature, type, expiry, claim shapes and the command binding. Resolves only
 * when every check passes; any other outcome is a VerdictError. A verified verdict may
 * still say `deny`: the caller decides on `decision`, never on the absence of an error.
 */
export async function verifyVerdict(
  jws: string,
  keys: JWTVerifyGetKey,
  expect: VerdictExpectation,
): Promise<VerdictClaims> {
  let payload: unknown;
  try {
    const result = await jwtVerify(jws, keys, {
      algorithms: [VERDICT_ALG, 'Ed25519'],
      typ: VERDICT_TYP,
      ...(expect.issuer ? { issuer: expect.issuer } : {}),
      ...(expect.now ? { currentDate: expect.now } : {}),
      clockTolerance: expect.clockToleranceSeconds ?? 5,
      requiredClaims: ['iss', 'sub', 'jti', 'iat', 'exp'],
    });
    payload = result.payload;
  } catch (error) {
    throw translate(error);
  }
  const claims = assertClaims(payload);
  if (expect.agentId !== undefined && claims.sub !== expect.agentId) {
    throw new VerdictError('ERR_VERDICT_WRONG_SUBJECT', 'verdict was issued to another agent');
  }
  if (expect.requestId !== undefined && claims.jti !== expect.requestId) {
    throw new VerdictError('ERR_VERDICT_WRONG_SUBJECT', 'verdict belongs to another request');
  }
  if (claims.cmd !== commandHash(expect.subject)) {
    throw new VerdictError('ERR_VERDICT_COMMAND_MISMATCH', 'verdict does not match the command about to run');
  }
  return claims;
}

function translate(error: unknown): VerdictError {
  if (error instanceof errors.JWTExpired)
    return new VerdictError('ERR_VERDICT_EXPIRED', 'verdict has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new VerdictError('ERR_VERDICT_SIGNATURE', 'verdict signature does not verify');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new VerdictError(
      'ERR_VERDICT_UNKNOWN_KEY',
      'verdict is signed by a key the server does not publish',
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new VerdictError(
      'ERR_VERDICT_CLAIMS',
      `verdict claim "${error.claim}" is invalid: ${error.reason}`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new VerdictError('ERR_VERDICT_MALFORMED', `verdict is malformed: ${message}`);
}

function assertClaims(payload: unknown): VerdictClaims {
  const p = payload as Record<string, unknown>;
  const ok =
    typeof p.sid === 'string' &&
    (p.decision === 'allow' || p.decision === 'deny') &&
    isTier(p.tier) &&
    typeof p.score === 'number' &&
    typeof p.cmd === 'string' &&
    Array.isArray(p.approvers) &&
    p.approvers.every((a) => typeof a === 'string') &&
    typeof p.policy === 'string';
  if (!ok) throw new VerdictError('ERR_VERDICT_CLAIMS', 'verdict claims are incomplete or of the wrong type');
  return p as unknown as VerdictClaims;
}
