import { randomBytes } from 'node:crypto';
import { schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import * as client from 'openid-client';
import type { Role } from '../auth/principal.ts';
import type { OidcConfig } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import type { SessionUser } from './login.ts';
import { groupsOf, syncManagedGroups } from './memberships.ts';
import { type OidcTransaction, TRANSACTION_TTL_SECONDS } from './oidc-transaction.ts';
import { claimValues, managedGroups, mapClaimValues } from './role-map.ts';
import { type NewWebSession, startWebSession } from './sessions.ts';

/** A refused OIDC login: `reason` goes to the audit log, `code` to `/login?error=`. */
export class OidcLoginError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(reason);
  }
}

const configurations = new WeakMap<Runtime, Promise<client.Configuration>>();

function oidcOf(rt: Runtime): OidcConfig {
  const oidc = rt.config.oidc;
  if (!oidc)
    throw new GatehouseError('OIDC_NOT_CONFIGURED', 'sign-in through an identity provider is not set up');
  return oidc;
}

/**
 * The provider's metadata, discovered on first use rather than at start: Gatehouse starts
 * (and local logins work) while the identity provider is down. A failed discovery is retried
 * by the next login.
 */
function configuration(rt: Runtime): Promise<client.Configuration> {
  let found = configurations.get(rt);
  if (!found) {
    const oidc = oidcOf(rt);
    const insecure = new URL(oidc.issuer).protocol === 'http:';
    found = client.discovery(
      new URL(oidc.issuer),
      oidc.clientId,
      undefined,
      client.ClientSecretBasic(oidc.clientSecret),
      // config.ts allows http: only for an issuer on this machine.
      insecure ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
    );
    found.catch(() => configurations.delete(rt));
    configurations.set(rt, found);
  }
  return found;
}

export function redirectUri(rt: Runtime): string {
  return `${rt.config.publicUrl}/v1/auth/oidc/callback`;
}

/** Where to send the browser, and the transaction to keep (sealed in a cookie) until it returns. */
export async function beginOidcLogin(rt: Runtime): Promise<{ url: string; transaction: OidcTransaction }> {
  const oidc = oidcOf(rt);
  let config: client.Configuration;
  try {
    config = await configuration(rt);
  } catch {
    throw new GatehouseError(
      'OIDC_UNAVAILABLE',
      'the identity provider cannot be reached; try again shortly',
    );
  }
  const transaction: OidcTransaction = {
    state: randomBytes(32).toString('base64url'),
    nonce: randomBytes(32).toString('base64url'),
    codeVerifier: client.randomPKCECodeVerifier(),
    expiresAt: Date.now() + TRANSACTION_TTL_SECONDS * 1000,
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(rt),
    scope: oidc.scopes,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
    code_challenge_method: 'S256',
    state: transaction.state,
    nonce: transaction.nonce,
  });
  return { url: url.href, transaction };
}

/**
 * Completes the code flow: exchanges the code (with the PKCE verifier), checks state, nonce
 * and the ID token, reads email and roles claim (ID token, then userinfo), and signs the
 * person in, creating the account on first login.
 */
export async function finishOidcLogin(
  rt: Runtime,
  input: { search: string; transaction: OidcTransaction | undefined; address: string },
): Promise<{ user: SessionUser; session: NewWebSession }> {
  const oidc = oidcOf(rt);
  const params = new URLSearchParams(input.search);
  if (params.has('error')) {
    throw new OidcLoginError('provider_error', 'provider_error', {
      error: params.get('error')?.slice(0, 100),
    });
  }
  if (!input.transaction) throw new OidcLoginError('login_expired', 'missing_or_expired_transaction');
  const { transaction } = input;
  let claims: Record<string, unknown>;
  try {
    const config = await configuration(rt);
    const currentUrl = new URL(redirectUri(rt));
    currentUrl.search = input.search;
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: transaction.codeVerifier,
      expectedState: transaction.state,
      expectedNonce: transaction.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    if (!idToken) throw new Error('no ID token');
    claims = { ...idToken };
    // Many providers put email and groups only in userinfo (claims requested by scope); the
    // signed ID token wins where both have a claim. fetchUserInfo checks that `sub` matches.
    if (config.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      claims = { ...info, ...idToken };
    }
  } catch (error) {
    throw new OidcLoginError('oidc_failed', 'token_exchange_failed', {
      error: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
    });
  }

  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) {
    throw new OidcLoginError('email_missing', 'email_claim_missing', { sub: claims.sub });
  }
  // Accounts are matched by email: an address the provider has not verified could be anyone's.
  if (claims.email_verified === false || claims.email_verified === 'false') {
    throw new OidcLoginError('email_unverified', 'email_not_verified', { email });
  }
  const mapped = mapClaimValues(claimValues(claims[oidc.rolesClaim]), oidc.roleMap);
  return signIn(rt, {
    email,
    sub: String(claims.sub),
    mapped,
    managed: managedGroups(oidc.roleMap),
    address: input.address,
  });
}

async function signIn(
  rt: Runtime,
  input: {
    email: string;
    sub: string;
    mapped: { roles: Role[]; groups: string[] };
    managed: string[];
    address: string;
  },
): Promise<{ user: SessionUser; session: NewWebSession }> {
  const { email, mapped } = input;
  const result = await rt.audit.transaction(async (tx, record) => {
    const [existing] = await tx.select().from(schema.users).where(eq(schema.users.email, email));
    if (existing?.disabledAt) return { refused: 'disabled' as const, userId: existing.id };
    let userId: string;
    let roles: Role[];
    if (!existing) {
      if (mapped.roles.length === 0) return { refused: 'no_role' as const };
      userId = newId('usr');
      roles = mapped.roles;
      await tx.insert(schema.users).values({ id: userId, email, roles, source: 'oidc' });
      const groups = await syncManagedGroups(tx, userId, mapped.groups, input.managed);
      record({
        type: 'user.created',
        actor: { type: 'system', id: 'oidc' },
        subject: { type: 'user', id: userId },
        data: { email, roles, source: 'oidc', sub: input.sub, groupsAdded: groups.added },
      });
    } else {
      userId = existing.id;
      // For accounts that came from the provider, the provider is the source of truth: losing a
      // group there takes the role away here. Admin-made accounts keep their roles.
      roles = existing.source === 'oidc' ? mapped.roles : (existing.roles as Role[]);
      const groups = await syncManagedGroups(
        tx,
        userId,
        mapped.groups,
        existing.source === 'oidc' ? input.managed : [],
      );
      const rolesChanged = roles.join(',') !== [...existing.roles].join(',');
      if (rolesChanged) await tx.update(schema.users).set({ roles }).where(eq(schema.users.id, userId));
      if (rolesChanged || groups.added.length > 0 || groups.removed.length > 0) {
        record({
          type: 'user.access_synced',
          actor: { type: 'system', id: 'oidc' },
          subject: { type: 'user', id: userId },
          data: {
            roles,
            previousRoles: existing.roles,
            groupsAdded: groups.added,
            groupsRemoved: groups.removed,
          },
        });
      }
      if (roles.length === 0) return { refused: 'no_role' as const, userId };
    }
    const session = await startWebSession(tx, userId);
    record({
      type: 'login.succeeded',
      actor: { type: 'user', id: userId },
      subject: { type: 'user', id: userId },
      data: { method: 'oidc', sub: input.sub, address: input.address },
    });
    return { refused: undefined, userId, roles, session };
  });
  if (result.refused !== undefined) {
    throw new OidcLoginError(
      result.refused,
      result.refused === 'disabled' ? 'user_disabled' : 'no_mapped_role',
      {
        email,
        ...(result.userId ? { userId: result.userId } : {}),
      },
    );
  }
  const user: SessionUser = {
    id: result.userId,
    email,
    roles: result.roles,
    groups: await groupsOf(rt.database.db, result.userId),
  };
  return { user, session: result.session };
}
