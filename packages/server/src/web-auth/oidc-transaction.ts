import { open, purposeKey, seal } from '../keys/master-key.ts';
import type { Runtime } from '../platform/runtime.ts';

/** How long a person has to get through the identity provider's pages. */
export const TRANSACTION_TTL_SECONDS = 10 * 60;

export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds after which the callback is refused. */
  expiresAt: number;
}

const ASSOCIATED = 'gh_oidc';

/**
 * The state, nonce and PKCE verifier travel in a cookie sealed (AES-GCM) with a key derived
 * from the master key: every replica can open it, so the callback may land on any of them,
 * and nobody can read the verifier out of it or forge a transaction.
 */
const keyFor = (rt: Runtime) => purposeKey(rt.config, 'oidc-transaction-cookie');

export function sealTransaction(rt: Runtime, transaction: OidcTransaction): string {
  return seal(keyFor(rt), JSON.stringify(transaction), ASSOCIATED);
}

/** The transaction in the cookie, or undefined when it is missing, forged or expired. */
export function openTransaction(rt: Runtime, sealed: string | undefined): OidcTransaction | undefined {
  if (!sealed || sealed.length > 4096) return undefined;
  try {
    const value = JSON.parse(open(keyFor(rt), sealed, ASSOCIATED)) as Partial<OidcTransaction>;
    if (
      typeof value.state !== 'string' ||
      typeof value.nonce !== 'string' ||
      typeof value.codeVerifier !== 'string' ||
      typeof value.expiresAt !== 'number' ||
      value.expiresAt <= Date.now()
    ) {
      return undefined;
    }
    return value as OidcTransaction;
  } catch {
    return undefined;
  }
}
