import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build --workspace @gatehouse/web` puts the approver web app, found through that
 * package's `./dist/*` export: the web app owns its layout, the server knows only its name.
 * Resolving does not need the build to exist (a missing one is answered below); only a missing
 * package leaves nothing to look in.
 */
function builtWebRoot(): string | undefined {
  try {
    return dirname(fileURLToPath(import.meta.resolve('@gatehouse/web/dist/index.html')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

export const DEFAULT_WEB_ROOT = builtWebRoot();

/** Paths that belong to the API: never answered with the web app, even when nothing matches. */
const API_PREFIXES = ['/v1', '/docs', '/.well-known', '/healthz', '/readyz'];

/**
 * The page runs only its own bundled script and style, talks only to its own origin (HTTP and
 * the live WebSocket), and cannot be framed: a clickjacked approve button is a self-approval
 * by someone else's hand.
 */
const HTML_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  // A new build must reach open pages at their next load; hashed assets below are immutable.
  'cache-control': 'no-cache',
};

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Serves the built web app at `/`, with every page path (`/requests/…`, `/history`, …)
 * answered by `index.html` so that the browser's router takes over. Without a build the API
 * runs as before and `/` says how to build the page.
 */
export async function webRoutes(app: FastifyInstance, { root = DEFAULT_WEB_ROOT }: { root?: string }) {
  if (root === undefined || !existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Gatehouse web app is not built. Run `npm run build --workspace @gatehouse/web`.\n'),
    );
    return;
  }

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.headers(HTML_HEADERS);
    return payload;
  });

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start; everything else reaches the fallback below.
    wildcard: false,
    index: false,
    schemaHide: true,
    setHeaders: (reply: FastifyReply, path: string) => {
      // Vite puts content hashes in asset names: a changed file is a new URL.
      if (path.includes(`${join(root, 'assets')}`))
        reply.header('cache-control', 'public, max-age=31536000, immutable');
    },
  });

  const page = async (request: { url: string }, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    // API paths keep their JSON 404; a missing file (a name with an extension) is a 404, not the page.
    if (isApiPath(path) || /\.[a-z0-9]+$/i.test(path)) return reply.callNotFound();
    return reply.type('text/html; charset=utf-8').sendFile('index.html', root);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, page);
}
