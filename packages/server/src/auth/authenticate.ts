import type { FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { TOKEN_PREFIX } from '../secrets.ts';
import { userForToken } from '../users/service.ts';
import { readCookie, SESSION_COOKIE } from '../web-auth/cookies.ts';
import {
  csrfFailed,
  csrfMatches,
  findWebSession,
  touchWebSession,
  unavailable,
  type WebSession,
} from '../web-auth/sessions.ts';
import { hasRole, type Principal, type Role } from './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the caller was authenticated by the browser session cookie, not a bearer token. */
    webSession?: WebSession;
  }
}

/** Methods that change state: a cookie-authenticated call must prove it came from our page. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Who may call a route: people by role, or agents through their session tokens. */
export type Audience = Role | 'agent';

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer ([\x21-\x7e]{8,4096})$/.exec(header) : null;
  if (!match) throw new GatehouseError('MISSING_TOKEN', 'send a token as "Authorization: Bearer <token>"');
  return match[1]!;
}

/**
 * Resolves a bearer token to a principal. The token's shape says what it claims to be
 * (agent key, personal token, session JWT); each kind is then verified its own way.
 */
export async function authenticate(rt: Runtime, token: string): Promise<Principal> {
  if (rt.admin.matches(token)) return { type: 'admin', id: 'admin' };
  if (token.startsWith(TOKEN_PREFIX.agentKey)) {
    throw new GatehouseError(
      'AGENT_KEY_NOT_ACCEPTED',
      'an agent key only starts sessions (POST /v1/sessions); use the session token',
    );
  }
  if (token.startsWith(TOKEN_PREFIX.userToken)) {
    const user = await userForToken(rt, token).catch(() => {
      throw unavailable();
    });
    if (!user) throw new GatehouseError('INVALID_TOKEN', 'token is not valid or was revoked');
    return { type: 'user', ...user };
  }
  if (token.split('.').length === 3) {
    const claims = await rt.sessions.verify(rt.keys, rt.config.issuer, token);
    // A busy process may have missed a poll: catch up now rather than refuse. Only if the
    // database cannot tell us is the session refused (fail closed).
    if (!rt.revocations.isFresh()) {
      await rt.revocations.catchUp().catch(() => {
        throw new GatehouseError(
          'REVOCATION_STATE_STALE',
          'cannot confirm the session is not revoked; try again shortly',
        );
      });
    }
    if (rt.revocations.isRevoked(claims.agentId, claims.sessionId)) {
      throw new GatehouseError('SESSION_REVOKED', 'this session or its agent has been revoked');
    }
    return {
      type: 'agent',
      id: claims.agentId,
      agentType: claims.agentType,
      sessionId: claims.sessionId,
      environments: claims.environments,
    };
  }
  throw new GatehouseError('INVALID_TOKEN', 'token is not valid');
}

export function allows(principal: Principal, audience: readonly Audience[]): boolean {
  return audience.some((a) => (a === 'agent' ? principal.type === 'agent' : hasRole(principal, a)));
}

/**
 * Resolves the caller of an HTTP request. A bearer token always wins: browsers never attach
 * one on their own, so such a call cannot be forged cross-site. Without one, the session
 * cookie identifies a person exactly as their personal token would, and every state-changing
 * call must carry the session's CSRF token, since the browser attaches the cookie to any
 * request, forged or not.
 */
export async function authenticateRequest(
  rt: Runtime,
  request: FastifyRequest,
  options: { activity?: boolean } = {},
): Promise<Principal> {
  const cookie =
    request.headers.authorization === undefined ? readCookie(request, SESSION_COOKIE) : undefined;
  if (cookie === undefined) return authenticate(rt, bearerToken(request));
  const session = await findWebSession(rt, cookie);
  if (
    STATE_CHANGING.has(request.method) &&
    !csrfMatches(request.headers['x-csrf-token'], session.csrfToken)
  ) {
    throw csrfFailed();
  }
  // Only a call that passed every check counts as activity that keeps the session alive.
  if (options.activity !== false) await touchWebSession(rt, session);
  request.webSession = session;
  return { type: 'user', ...session.user };
}

const GUARD = Symbol('gatehouse.guard');

type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & { [GUARD]: true };

/**
 * The hook that authenticates and authorises a route; routes read `request.principal` after
 * it. Wherever a route lists it (`preHandler`, `preValidation`), it runs in `onRequest`: see
 * `authenticateFirst`.
 */
export function guard(rt: Runtime, ...audience: Audience[]): Guard {
  const hook = async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await authenticateRequest(rt, request);
    if (!allows(principal, audience)) {
      throw new GatehouseError('FORBIDDEN', `this call is for: ${audience.join(', ')}`);
    }
    request.principal = principal;
  };
  return Object.assign(hook, { [GUARD]: true as const });
}

const LATER_HOOKS = ['preParsing', 'preValidation', 'preHandler'] as const;

/**
 * An `onRoute` hook: moves every guard of a route to the front of its `onRequest` hooks, so
 * who is calling is settled before the body is read or validated. A caller without (valid)
 * credentials gets its 401, and one without the role its 403, whatever it sent; a schema's
 * 400 is only ever shown to someone allowed to make the call. Fastify validates before
 * `preHandler`, so a guard left there would answer strangers' malformed bodies first.
 */
export function authenticateFirst(route: RouteOptions): void {
  const guards: onRequestHookHandler[] = [];
  for (const name of LATER_HOOKS) {
    const hooks = route[name];
    if (hooks === undefined) continue;
    const list = (Array.isArray(hooks) ? hooks : [hooks]) as unknown[];
    const kept = list.filter((hook) => !isGuard(hook));
    if (kept.length === list.length) continue;
    guards.push(...(list.filter(isGuard) as unknown as onRequestHookHandler[]));
    if (kept.length > 0) route[name] = kept as never;
    else delete route[name];
  }
  if (guards.length === 0) return;
  const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
  route.onRequest = [...guards, ...existing];
}

function isGuard(hook: unknown): hook is Guard {
  return typeof hook === 'function' && GUARD in hook;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GatehouseError('MISSING_TOKEN', 'not authenticated');
  return request.principal;
}
