import { signCompactJws } from '@gatehouse/verdict';
import { errors, jwtVerify } from 'jose';
import type { EnvironmentBinding } from '../agents/environment.ts';
import { GatehouseError } from '../errors.ts';
import type { KeyRing } from '../keys/keyring.ts';

export const SESSION_TYP = 'gatehouse-session+jwt';
export const SESSION_AUDIENCE = 'gatehouse-api';
export const DEFAULT_SESSION_TTL_SECONDS = 15 * 60;
export { MAX_SESSION_TTL_SECONDS } from '@gatehouse/contract';

/** The part of the key ring session tokens need. */
export type SessionKeySource = Pick<KeyRing, 'signer' | 'sessionKeys'>;

export interface SessionClaims {
  agentId: string;
  sessionId: string;
  agentType: string;
  /** The agent's environment binding, fixed when the agent was created. */
  environments: EnvironmentBinding;
}

export async function signSessionToken(
  keys: SessionKeySource,
  issuer: string,
  claims: SessionClaims,
  expiresAt: Date,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signCompactJws(
    { typ: SESSION_TYP },
    {
      iss: issuer,
      aud: SESSION_AUDIENCE,
      sub: claims.agentId,
      sid: claims.sessionId,
      aty: claims.agentType,
      ...(claims.environments ? { aen: claims.environments } : {}),
      iat: now,
      exp: Math.floor(expiresAt.getTime() / 1000),
    },
    await keys.signer('session'),
  );
}

/**
 * Verifies a session token: signature, `typ`, issuer, audience and expiry. Revocation is
 * the caller's check, on every use.
 */
export async function verifySessionToken(
  keys: SessionKeySource,
  issuer: string,
  token: string,
): Promise<SessionClaims> {
  try {
    const { payload } = await jwtVerify(token, keys.sessionKeys(), {
      algorithms: ['EdDSA'],
      typ: SESSION_TYP,
      issuer,
      audience: SESSION_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'sid'],
    });
    if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') throw new Error('bad claims');
    return {
      agentId: payload.sub,
      sessionId: payload.sid,
      agentType: typeof payload.aty === 'string' ? payload.aty : 'unknown',
      environments: environmentsClaim(payload.aen),
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new GatehouseError('SESSION_EXPIRED', 'session token has expired; start a new session');
    }
    throw new GatehouseError('INVALID_TOKEN', 'session token is not valid');
  }
}

/** `aen` is signed by us, so a malformed one means a bug or a forgery: refuse it, never unbind. */
function environmentsClaim(value: unknown): EnvironmentBinding {
  if (value === undefined) return null;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  throw new Error('bad aen claim');
}

interface Verified {
  claims: SessionClaims;
  expiresAtMs: number;
}

/**
 * Agents send the same session token with every request; its signature needs checking
 * once per process, not once per request. Keyed by the exact token string, so a cached
 * entry can only be hit by a byte-identical token. Expiry is still checked on every hit,
 * and revocation stays the caller's check on every use.
 */
export class VerifiedSessionCache {
  readonly #entries = new Map<string, Verified>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  async verify(keys: SessionKeySource, issuer: string, token: string): Promise<SessionClaims> {
    const hit = this.#entries.get(token);
    if (hit) {
      if (Date.now() < hit.expiresAtMs) return hit.claims;
      this.#entries.delete(token);
      throw new GatehouseError('SESSION_EXPIRED', 'session token has expired; start a new session');
    }
    const claims = await verifySessionToken(keys, issuer, token);
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { claims, expiresAtMs: exp * 1000 });
    return claims;
  }
}
