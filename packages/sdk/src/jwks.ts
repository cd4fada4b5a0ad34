import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { GatehouseError } from './errors.ts';
import { endpoint } from './http.ts';

export interface KeySetOptions {
  baseUrl: URL;
  requestTimeoutMs: number;
  /**
   * Verdict keys to trust instead of the server's published set. With pinned keys an
   * attacker between the agent and the server cannot make the SDK accept a verdict by
   * serving a JWKS with its own key.
   */
  trustedKeys?: JSONWebKeySet;
  /** Minimum time between two JWKS fetches triggered by an unknown `kid`. */
  cooldownMs?: number;
}

export interface KeySet {
  /** A key resolver for one verification; remembers why fetching the key set failed. */
  resolver(): { getKey: JWTVerifyGetKey; failure: () => GatehouseError | undefined };
}

/**
 * The verdict keys: fetched from `/.well-known/jwks.json`, cached, and refetched (after a
 * short cooldown) when a verdict names a `kid` the cache does not hold, which is how key
 * rotation reaches agents without a restart.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  const getKey: JWTVerifyGetKey = options.trustedKeys
    ? createLocalJWKSet(options.trustedKeys)
    : createRemoteJWKSet(endpoint(options.baseUrl, '/.well-known/jwks.json'), {
        timeoutDuration: options.requestTimeoutMs,
        cooldownDuration: options.cooldownMs ?? 30_000,
        cacheMaxAge: 10 * 60_000,
      });
  return {
    resolver() {
      let failure: GatehouseError | undefined;
      const resolve: JWTVerifyGetKey = async (header, token) => {
        try {
          return await getKey(header, token);
        } catch (error) {
          failure = classify(error);
          throw error;
        }
      };
      return { getKey: resolve, failure: () => failure };
    },
  };
}

/**
 * jose reports an unreachable JWKS through the same path as a malformed token; keep the
 * transport failures apart so the caller sees ERR_TIMEOUT/ERR_NETWORK, not a verdict error.
 */
function classify(error: unknown): GatehouseError | undefined {
  if (error instanceof errors.JWKSTimeout)
    return new GatehouseError('ERR_TIMEOUT', 'fetching the verdict keys timed out');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return undefined;
  if (error instanceof errors.JWKSInvalid)
    return new GatehouseError('ERR_PROTOCOL', 'the server published an invalid key set');
  // A bare JOSEError is jose's report of a non-200 or non-JSON key set response.
  if (error instanceof errors.JOSEError && error.constructor === errors.JOSEError) {
    return new GatehouseError('ERR_PROTOCOL', `cannot load the verdict keys: ${error.message}`);
  }
  if (error instanceof errors.JOSEError) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new GatehouseError('ERR_NETWORK', `cannot fetch the verdict keys: ${message}`, { cause: error });
}
