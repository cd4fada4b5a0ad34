import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * This server's own origin: from GATEHOUSE_PUBLIC_URL when set, otherwise the scheme and Host
 * the request came in on (a page on another site cannot make a browser send our Host with its
 * own Origin, so comparing the two still tells a foreign page apart).
 */
export function ownOrigin(rt: Runtime, request: FastifyRequest): string | undefined {
  if (rt.config.publicUrl) return new URL(rt.config.publicUrl).origin;
  const host = request.headers.host;
  return host ? `${request.protocol}://${host}` : undefined;
}

/**
 * Browsers send cookies on WebSocket handshakes from any site and the same-origin policy does
 * not apply to them: a cookie-authenticated socket is accepted only from our own pages.
 */
export function assertSameOrigin(rt: Runtime, request: FastifyRequest): void {
  const origin = request.headers.origin;
  const own = ownOrigin(rt, request);
  if (!origin || !own || origin.toLowerCase() !== own.toLowerCase()) {
    throw new GatehouseError(
      'ORIGIN_REFUSED',
      "a browser session may open the live stream only from Gatehouse's own pages",
    );
  }
}
