import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../platform/runtime.ts';

export const SESSION_COOKIE = 'gh_session';
/** Holds the state, nonce and PKCE verifier of an OIDC login between the two redirects. */
export const OIDC_COOKIE = 'gh_oidc';

/** `Secure` whenever people reach Gatehouse over https (decided by GATEHOUSE_PUBLIC_URL). */
export function servedOverHttps(rt: Runtime): boolean {
  return rt.config.publicUrl?.startsWith('https:') ?? false;
}

/** The path prefix Gatehouse is served under, from GATEHOUSE_PUBLIC_URL ('' at the root). */
export function basePath(rt: Runtime): string {
  return rt.config.publicUrl ? new URL(rt.config.publicUrl).pathname.replace(/\/+$/, '') : '';
}

function sessionCookieOptions(rt: Runtime): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'strict', secure: servedOverHttps(rt), path: `${basePath(rt)}/` };
}

export function setSessionCookie(
  rt: Runtime,
  reply: FastifyReply,
  value: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, value, { ...sessionCookieOptions(rt), maxAge: maxAgeSeconds });
}

export function clearSessionCookie(rt: Runtime, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(rt));
}

/**
 * The OIDC transaction cookie is `Lax`, not `Strict`: the identity provider's redirect back to
 * the callback is a cross-site navigation, on which a Strict cookie would not be sent.
 */
function oidcCookieOptions(rt: Runtime): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: servedOverHttps(rt),
    path: `${basePath(rt)}/v1/auth/oidc/`,
  };
}

export function setOidcCookie(rt: Runtime, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.setCookie(OIDC_COOKIE, value, { ...oidcCookieOptions(rt), maxAge: maxAgeSeconds });
}

export function clearOidcCookie(rt: Runtime, reply: FastifyReply): void {
  reply.clearCookie(OIDC_COOKIE, oidcCookieOptions(rt));
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
