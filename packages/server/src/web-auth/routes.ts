import { AuthProviders, WebSessionAnswer } from '@gatehouse/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { GatehouseError } from '../errors.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import type { Runtime } from '../platform/runtime.ts';
import {
  basePath,
  clearOidcCookie,
  clearSessionCookie,
  OIDC_COOKIE,
  readCookie,
  SESSION_COOKIE,
  setOidcCookie,
  setSessionCookie,
} from './cookies.ts';
import { LockedOut, localLogin } from './login.ts';
import { groupsOf } from './memberships.ts';
import { beginOidcLogin, finishOidcLogin, OidcLoginError } from './oidc.ts';
import { openTransaction, sealTransaction, TRANSACTION_TTL_SECONDS } from './oidc-transaction.ts';
import { MAX_PASSWORD_LENGTH } from './password.ts';
import {
  csrfFailed,
  csrfMatches,
  endWebSession,
  findWebSession,
  touchWebSession,
  type WebSession,
} from './sessions.ts';

// The password limit is the server's (password.ts), so the body is declared here.
const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

const LogoutBody = Type.Object({}, { additionalProperties: false });

/** The session behind the cookie, for the calls that are about the session itself. */
async function currentSession(rt: Runtime, request: FastifyRequest): Promise<WebSession> {
  const cookie = readCookie(request, SESSION_COOKIE);
  if (!cookie) throw new GatehouseError('NOT_SIGNED_IN', 'sign in first (POST /v1/auth/login)');
  return findWebSession(rt, cookie);
}

export const webAuthRoutes: Routes = async (app, { rt }) => {
  app.get(
    '/v1/auth/providers',
    {
      schema: {
        tags: ['web'],
        summary: 'Which sign-in methods this server offers',
        security: [],
        response: { 200: AuthProviders },
      },
    },
    async () => ({ local: true, oidc: rt.config.oidc !== undefined }),
  );

  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['web'],
        summary: 'Sign in with email and password; sets the session cookie',
        security: [],
        body: LoginBody,
        response: { 200: WebSessionAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      try {
        const { user, session } = await localLogin(rt, { ...body, address: request.ip });
        setSessionCookie(rt, reply, session.value, session.maxAgeSeconds);
        return { user, csrfToken: session.csrfToken };
      } catch (error) {
        if (error instanceof LockedOut) {
          return reply
            .status(429)
            .header('retry-after', String(error.retryAfterSeconds))
            .send({ error: { code: error.code, message: error.message } });
        }
        throw error;
      }
    },
  );

  app.get(
    '/v1/auth/me',
    {
      // The session is found first: without one the answer is a 401, whatever else was sent.
      onRequest: async (request) => {
        request.webSession = await currentSession(rt, request);
      },
      schema: {
        tags: ['web'],
        summary: 'The signed-in person and the CSRF token of the session',
        response: { 200: WebSessionAnswer, '4xx': errorSchema },
      },
    },
    async (request) => {
      const session = request.webSession ?? (await currentSession(rt, request));
      await touchWebSession(rt, session);
      return {
        user: { ...session.user, groups: await groupsOf(rt.database.db, session.user.id) },
        csrfToken: session.csrfToken,
      };
    },
  );

  // The page's first question. Not being signed in is an answer here, not an error: a 401
  // would be logged to the console of every visitor before they sign in.
  app.get(
    '/v1/auth/session',
    {
      schema: {
        tags: ['web'],
        summary: 'The signed-in person and the CSRF token, or `{user: null}` when nobody is signed in',
        response: {
          200: Type.Union([WebSessionAnswer, Type.Object({ user: Type.Null() })]),
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      let session: WebSession;
      try {
        session = await currentSession(rt, request);
      } catch (error) {
        if (error instanceof GatehouseError && error.status === 401) return { user: null };
        throw error;
      }
      await touchWebSession(rt, session);
      return {
        user: { ...session.user, groups: await groupsOf(rt.database.db, session.user.id) },
        csrfToken: session.csrfToken,
      };
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      // The session is found before the body is read: without one the answer is a 401, not a 400.
      onRequest: async (request) => {
        request.webSession = await currentSession(rt, request);
      },
      schema: {
        tags: ['web'],
        summary: 'End the session and clear the cookie',
        body: LogoutBody,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const session = request.webSession ?? (await currentSession(rt, request));
      // Logging someone out is a state change too: a forged logout is refused like any other.
      if (!csrfMatches(request.headers['x-csrf-token'], session.csrfToken)) {
        throw csrfFailed();
      }
      await rt.audit.transaction(async (tx, record) => {
        await endWebSession(tx, session.idHash);
        record({
          type: 'logout',
          actor: { type: 'user', id: session.user.id },
          subject: { type: 'user', id: session.user.id },
          data: {},
        });
      });
      clearSessionCookie(rt, reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/auth/oidc/login',
    { schema: { tags: ['web'], summary: 'Start sign-in at the identity provider (302)', security: [] } },
    async (_request, reply) => {
      const { url, transaction } = await beginOidcLogin(rt);
      setOidcCookie(rt, reply, sealTransaction(rt, transaction), TRANSACTION_TTL_SECONDS);
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/v1/auth/oidc/callback',
    { schema: { tags: ['web'], summary: 'Return from the identity provider (302)', security: [] } },
    async (request, reply) => {
      const transaction = openTransaction(rt, readCookie(request, OIDC_COOKIE));
      // One use only: whatever happens next, this transaction is spent.
      clearOidcCookie(rt, reply);
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      try {
        const { session } = await finishOidcLogin(rt, { search, transaction, address: request.ip });
        setSessionCookie(rt, reply, session.value, session.maxAgeSeconds);
        return reply.redirect(`${basePath(rt)}/`, 302);
      } catch (error) {
        if (!(error instanceof OidcLoginError)) throw error;
        await rt.audit.append({
          type: 'login.failed',
          actor: { type: 'system', id: 'gatehouse' },
          data: { method: 'oidc', reason: error.reason, address: request.ip, ...error.detail },
        });
        return redirectToLogin(rt, reply, error.code);
      }
    },
  );
};

function redirectToLogin(rt: Runtime, reply: FastifyReply, code: string) {
  return reply.redirect(`${basePath(rt)}/login?error=${encodeURIComponent(code)}`, 302);
}
