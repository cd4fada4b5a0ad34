import type { Tier, VerdictDecision } from '@gatehouse/contract';
import type { CommandSubject } from './command.ts';
import { commandHash } from './command.ts';

/** What a verdict says, and the tier it was decided at: the contract's vocabulary. */
export type Decision = VerdictDecision;
export type VerdictTier = Tier;

/** The claims of a signed verdict: what the SDK checks before it runs anything. */
export interface VerdictClaims {
  iss: string;
  /** Agent id. */
  sub: string;
  /** Agent session id. */
  sid: string;
  /** Request id; a verdict is consumed once per request. */
  jti: string;
  iat: number;
  exp: number;
  decision: Decision;
  tier: VerdictTier;
  score: number;
  /** Hash of the canonical command subject, binding the verdict to one exact command. */
  cmd: string;
  /** Ids of the people whose approvals made the decision; empty for automatic verdicts. */
  approvers: string[];
  /** Version of the risk policy that scored the request. */
  policy: string;
}

/** Verdicts are meant to be used right away: minutes, never hours. */
export const DEFAULT_VERDICT_TTL_SECONDS = 300;
export const MAX_VERDICT_TTL_SECONDS = 900;

export interface VerdictFacts {
  issuer: string;
  agentId: string;
  sessionId: string;
  requestId: string;
  decision: Decision;
  tier: VerdictTier;
  score: number;
  subject: CommandSubject;
  approvers: readonly string[];
  policyVersion: string;
  now?: Date;
  ttlSeconds?: number;
}

export function buildVerdictClaims(facts: VerdictFacts): VerdictClaims {
  const ttl = Math.min(facts.ttlSeconds ?? DEFAULT_VERDICT_TTL_SECONDS, MAX_VERDICT_TTL_SECONDS);
  const iat = Math.floor((facts.now ?? new Date()).getTime() / 1000);
  return {
    iss: facts.issuer,
    sub: facts.agentId,
    sid: facts.sessionId,
    jti: facts.requestId,
    iat,
    exp: iat + ttl,
    decision: facts.decision,
    tier: facts.tier,
    score: facts.score,
    cmd: commandHash(facts.subject),
    approvers: [...facts.approvers],
    policy: facts.policyVersion,
  };
}
