import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import type { JWK } from 'jose';
import type { VerdictClaims } from './claims.ts';

/** JOSE `typ` of a verdict; a session token or any other JWT signed elsewhere never passes as one. */
export const VERDICT_TYP = 'gatehouse-verdict+jwt';
export const VERDICT_ALG = 'EdDSA';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * Compact JWS with Ed25519 through node:crypto. Signing sits on the hot path of every
 * decision, and the native one-shot call is several times cheaper than WebCrypto's;
 * verification everywhere uses jose, so any slip here fails verification loudly.
 */
export function signCompactJws(header: Record<string, unknown>, payload: object, key: SigningKey): string {
  const input = `${base64url(JSON.stringify({ ...header, alg: VERDICT_ALG, kid: key.kid }))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

export function signVerdict(claims: VerdictClaims, key: SigningKey): string {
  return signCompactJws({ typ: VERDICT_TYP }, claims, key);
}

export function privateKeyFromJwk(jwk: JWK): KeyObject {
  return createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
