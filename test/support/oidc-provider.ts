/**
 * A real OpenID Connect provider (the `oidc-provider` package) for tests, on 127.0.0.1 and a
 * random port, with one confidential client that must use PKCE.
 *
 * How a sign-in completes, in a browser or through `login()` below:
 *   1. GET <gatehouse>/v1/auth/oidc/login → 302 to <issuer>/auth?…&code_challenge=…
 *   2. <issuer>/auth → 303 to <issuer>/interaction/<uid>: an HTML page with one form per test
 *      user ("Sign in as alice@example.com"); a browser test clicks the button with that text
 *      (or fills the `email` field and presses "Sign in").
 *   3. POST <issuer>/interaction/<uid>/login (email=…) → 303 back through /auth; consent is
 *      granted automatically (a second pass through /interaction/<uid> that redirects at once).
 *   4. 303 to <gatehouse>/v1/auth/oidc/callback?code=…&state=…&iss=… → Gatehouse signs the
 *      person in and answers 302 to `/` with the `gh_session` cookie.
 *
 * Gatehouse must be started with `gatehouseEnv` (issuer, client, scopes) plus
 * GATEHOUSE_PUBLIC_URL and GATEHOUSE_OIDC_ROLE_MAP; `redirectUri` must be
 * `<GATEHOUSE_PUBLIC_URL>/v1/auth/oidc/callback`, so pick Gatehouse's port first (`freePort`).
 * The user's `groups` are released as the `groups` claim (in userinfo) for the `profile` or
 * `groups` scope.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import Provider from 'oidc-provider';

export interface TestOidcUser {
  sub: string;
  email: string;
  groups: string[];
  /** Defaults to true; false lets a test check that unverified addresses are refused. */
  emailVerified?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  /** Environment for startGatehouse({ env }) (without GATEHOUSE_PUBLIC_URL and the role map). */
  gatehouseEnv: Record<string, string>;
  /**
   * Drives a whole sign-in with fetch: starts at `startUrl` (Gatehouse's /v1/auth/oidc/login),
   * signs in as `email` at the provider, and stops at Gatehouse's callback, whose response
   * (a 302 with the session cookie, or to /login?error=…) is returned.
   */
  login(startUrl: string, email: string, jar?: CookieJar): Promise<{ callback: Response; jar: CookieJar }>;
  stop(): Promise<void>;
}

export interface StartOidcOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  users: TestOidcUser[];
}

export async function startOidcProvider(options: StartOidcOptions): Promise<TestOidcProvider> {
  const users = new Map(options.users.map((u) => [u.sub, u]));
  let provider: Provider | undefined;
  const server = createServer((req, res) => {
    if (!provider) return void res.writeHead(503).end();
    if (req.url?.startsWith('/interaction/')) {
      interaction(provider, users, req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('oidc provider did not bind');
  const issuer = `http://127.0.0.1:${address.port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Confidential clients are not required to use PKCE by default; Gatehouse must, so insist.
    pkce: { required: () => true },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: user.email,
          email_verified: user.emailVerified ?? true,
          groups: user.groups,
        }),
      };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['groups'],
      groups: ['groups'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
  });

  return {
    issuer,
    gatehouseEnv: {
      GATEHOUSE_OIDC_ISSUER: issuer,
      GATEHOUSE_OIDC_CLIENT_ID: options.clientId,
      GATEHOUSE_OIDC_CLIENT_SECRET: options.clientSecret,
      GATEHOUSE_OIDC_SCOPES: 'openid email profile',
    },
    login: (startUrl, email, jar = new CookieJar()) =>
      drive(issuer, options.redirectUri, startUrl, email, jar),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The provider's sign-in and consent pages: a form per user, and automatic consent. */
async function interaction(
  provider: Provider,
  users: Map<string, TestOidcUser>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST' && req.url?.endsWith('/login')) {
    const form = new URLSearchParams(await readBody(req));
    const user = [...users.values()].find((u) => u.email === form.get('email'));
    if (!user) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown test user');
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (details.prompt.name === 'login') {
    const forms = [...users.values()]
      .map(
        (u) => `<form method="post" action="/interaction/${details.uid}/login">
  <input type="hidden" name="email" value="${escapeHtml(u.email)}">
  <button type="submit">Sign in as ${escapeHtml(u.email)}</button>
</form>`,
      )
      .join('\n');
    const page = `<!doctype html><html><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>
${forms}
<form method="post" action="/interaction/${details.uid}/login">
  <label>Email <input name="email" type="email"></label> <button type="submit">Sign in</button>
</form>
</body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    return;
  }
  // Consent: grant whatever the client asked for.
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent without a signed-in account');
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId, clientId: details.params.client_id }))
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Cookies per host:port, the way a browser would keep them for these tests (paths ignored). */
export class CookieJar {
  readonly #hosts = new Map<string, Map<string, string>>();

  store(url: string | URL, response: Response): void {
    const host = new URL(url).host;
    const cookies = this.#hosts.get(host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', v = ''] = a.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(a.trim().slice(8)) <= Date.now();
        return false;
      });
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.#hosts.set(host, cookies);
  }

  get(url: string | URL, name: string): string | undefined {
    return this.#hosts.get(new URL(url).host)?.get(name);
  }

  header(url: string | URL): string {
    return [...(this.#hosts.get(new URL(url).host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function drive(
  issuer: string,
  redirectUri: string,
  startUrl: string,
  email: string,
  jar: CookieJar,
): Promise<{ callback: Response; jar: CookieJar }> {
  const callbackPath = new URL(redirectUri).pathname;
  let url = new URL(startUrl);
  let init: RequestInit = { method: 'GET' };
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header(url) },
    });
    jar.store(url, response);
    if (url.pathname === callbackPath) return { callback: response, jar };
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    if (response.status === 200 && url.href.startsWith(`${issuer}/interaction/`)) {
      await response.arrayBuffer();
      url = new URL(`${url.pathname}/login`, issuer);
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      };
      continue;
    }
    throw new Error(`sign-in stopped at ${url.href}: ${response.status} ${await response.text()}`);
  }
  throw new Error('sign-in did not reach the callback in 20 steps');
}

/** A port free right now on 127.0.0.1, so Gatehouse's public URL can be known before it starts. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
