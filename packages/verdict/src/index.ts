export {
  buildVerdictClaims,
  DEFAULT_VERDICT_TTL_SECONDS,
  type Decision,
  MAX_VERDICT_TTL_SECONDS,
  type VerdictClaims,
  type VerdictFacts,
  type VerdictTier,
} from './claims.ts';
export { type CommandSubject, canonicalCommand, commandHash, targetOf } from './command.ts';
export { VerdictError, type VerdictErrorCode } from './errors.ts';
export { generateVerdictKeyPair, signingKeyFromJwk, type VerdictKeyPair } from './keys.ts';
export {
  privateKeyFromJwk,
  type SigningKey,
  signCompactJws,
  signVerdict,
  VERDICT_ALG,
  VERDICT_TYP,
} from './sign.ts';
export { type VerdictExpectation, verifyVerdict } from './verify.ts';
