import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildVerdictClaims,
  type CommandSubject,
  generateVerdictKeyPair,
  type SigningKey,
  signingKeyFromJwk,
  signVerdict,
  targetOf,
  type VerdictClaims,
  type VerdictKeyPair,
} from '@gatehouse/verdict';
import { WebSocket, WebSocketServer } from 'ws';

// A small stand-in that speaks the server API contract and signs real verdicts. It exists
// for failure modes and protocol corner cases that a real server will not produce on
// demand (a dropped socket, a 401 mid-wait, a consume that fails); the happy path is
// tested against the real server in sdk.integration.test.ts.

export type Outcome = 'auto' | 'deny' | 'pending';

export interface StandInRequest {
  id: string;
  agentToken: string;
  subject: CommandSubject;
  status: string;
  verdict?: string;
  consumed: boolean;
  results: unknown[];
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface StandInOptions {
  outcome?: (body: { kind: string; command: string }) => Outcome;
  /** Rewrites any JSON reply before it is sent. */
  tamper?: (
    route: string,
    reply: Reply,
    request?: StandInRequest,
  ) => Reply | undefined | Promise<Reply | undefined>;
  /** Answers a route before the stand-in handles it (e.g. to fail a long-poll at once). */
  intercept?: (route: string) => Reply | undefined;
  /** Accept WebSocket connections on /v1/stream (default true). */
  stream?: boolean;
  sessionTtlSeconds?: number;
  verdictTtlSeconds?: number;
}

export interface StandIn {
  url: string;
  agentKey: string;
  agentId: string;
  key: VerdictKeyPair;
  requests: Map<string, StandInRequest>;
  calls: string[];
  /** Decides a pending request; pushes verdict.ready over the stream. */
  decide(id: string, decision: 'approve' | 'reject'): Promise<void>;
  /** Makes every current session token invalid (as a server restart or revocation would). */
  revokeSessions(): void;
  sockets(): number;
  /** Sends a raw message to every open stream socket. */
  push(message: string): void;
  /** Drops every open stream socket. */
  dropSockets(): void;
  /** Signs arbitrary claims with the published key. */
  sign(claims: VerdictClaims): Promise<string>;
  claimsFor(request: StandInRequest, decision: 'allow' | 'deny'): VerdictClaims;
  stop(): Promise<void>;
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const key = await generateVerdictKeyPair();
  const signing: SigningKey = signingKeyFromJwk(key.privateJwk);
  const agentKey = `gh_agent_${randomUUID()}`;
  const agentId = 'agt_standin';
  const tokens = new Set<string>();
  const requests = new Map<string, StandInRequest>();
  const waiters = new Map<string, Set<() => void>>();
  const calls: string[] = [];
  const sockets = new Set<WebSocket>();

  const claimsFor = (request: StandInRequest, decision: 'allow' | 'deny'): VerdictClaims =>
    buildVerdictClaims({
      issuer: 'gatehouse-standin',
      agentId,
      sessionId: 'ses_standin',
      requestId: request.id,
      decision,
      tier: decision === 'allow' ? 'auto' : 'deny',
      score: decision === 'allow' ? 5 : 95,
      subject: request.subject,
      approvers: [],
      policyVersion: 'test',
      ...(options.verdictTtlSeconds ? { ttlSeconds: options.verdictTtlSeconds } : {}),
    });
  const sign = async (claims: VerdictClaims) => signVerdict(claims, signing);

  const finalize = async (request: StandInRequest, status: string, decision: 'allow' | 'deny') => {
    request.verdict = await sign(claimsFor(request, decision));
    request.status = status;
    for (const wake of waiters.get(request.id) ?? []) wake();
    waiters.delete(request.id);
    const message = JSON.stringify({
      type: 'verdict.ready',
      data: { id: request.id, status, verdict: request.verdict },
    });
    for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.send(message);
  };

  const send = async (res: ServerResponse, route: string, reply: Reply, request?: StandInRequest) => {
    const final = (await options.tamper?.(route, reply, request)) ?? reply;
    res.writeHead(final.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(final.body));
  };
  const error = (status: number, code: string): Reply => ({
    status,
    body: { error: { code, message: code } },
  });

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const route = `${req.method} ${url.pathname.replace(/\/v1\/requests\/[^/]+/, '/v1/requests/:id')}`;
    calls.push(route);
    const intercepted = options.intercept?.(route);
    if (intercepted) {
      res.writeHead(intercepted.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(intercepted.body));
      return;
    }
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (route === 'GET /.well-known/jwks.json')
      return send(res, route, { status: 200, body: { keys: [key.publicJwk] } });
    if (route === 'POST /v1/sessions') {
      await readBody(req);
      if (bearer !== agentKey) return send(res, route, error(401, 'INVALID_AGENT_KEY'));
      const token = `tok_${randomUUID()}`;
      tokens.add(token);
      const ttl = options.sessionTtlSeconds ?? 3600;
      return send(res, route, {
        status: 201,
        body: { token, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() },
      });
    }
    if (!tokens.has(bearer)) return send(res, route, error(401, 'SESSION_EXPIRED'));

    if (route === 'POST /v1/requests') {
      const body = (await readBody(req)) as {
        kind: 'shell' | 'sql';
        command: string;
        dialect?: string;
        context?: { host?: string; database?: string };
      };
      const request: StandInRequest = {
        id: `req_${randomUUID()}`,
        agentToken: bearer,
        subject: {
          kind: body.kind,
          command: body.command,
          dialect: body.dialect ?? null,
          target: targetOf(body.kind, body.context),
        },
        status: 'pending',
        consumed: false,
        results: [],
      };
      requests.set(request.id, request);
      const outcome = options.outcome?.(body) ?? 'auto';
      if (outcome === 'auto') await finalize(request, 'auto_approved', 'allow');
      if (outcome === 'deny') await finalize(request, 'denied', 'deny');
      return send(
        res,
        route,
        {
          status: 201,
          body: {
            id: request.id,
            status: request.status,
            tier: outcome === 'pending' ? 'review' : outcome === 'auto' ? 'auto' : 'deny',
            score: outcome === 'deny' ? 95 : 10,
            reasons: [{ rule: 'standin.rule', category: 'test', weight: 1, detail: 'stand-in' }],
            ...(request.verdict ? { verdict: request.verdict } : {}),
          },
        },
        request,
      );
    }

    const id = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    const request = requests.get(id);
    if (!request) return send(res, route, error(404, 'NOT_FOUND'));
    if (route === 'GET /v1/requests/:id/verdict') {
      const wait = Math.min(60, Number(url.searchParams.get('wait') ?? 0));
      if (request.status === 'pending' && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * 1000);
          const set = waiters.get(id) ?? new Set();
          set.add(() => {
            clearTimeout(timer);
            resolve();
          });
          waiters.set(id, set);
          req.on('close', () => clearTimeout(timer));
        });
      }
      if (request.status === 'pending')
        return send(res, route, { status: 202, body: { status: 'pending' } }, request);
      return send(
        res,
        route,
        { status: 200, body: { status: request.status, verdict: request.verdict } },
        request,
      );
    }
    if (route === 'POST /v1/requests/:id/consume') {
      await readBody(req);
      if (request.consumed) return send(res, route, error(409, 'VERDICT_ALREADY_USED'), request);
      if (request.status !== 'auto_approved' && request.status !== 'approved') {
        return send(res, route, error(409, 'REQUEST_NOT_ALLOWED'), request);
      }
      request.consumed = true;
      return send(res, route, { status: 200, body: { consumed: true } }, request);
    }
    if (route === 'POST /v1/requests/:id/result') {
      request.results.push(await readBody(req));
      return send(res, route, { status: 201, body: { ok: true } }, request);
    }
    return send(res, route, error(404, 'NOT_FOUND'));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'stand-in failure' } }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (options.stream === false || req.url !== '/v1/stream' || !tokens.has(bearer)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.send(JSON.stringify({ type: 'hello', data: {} }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    agentKey,
    agentId,
    key,
    requests,
    calls,
    async decide(id, decision) {
      const request = requests.get(id);
      if (!request) throw new Error(`no request ${id}`);
      await finalize(
        request,
        decision === 'approve' ? 'approved' : 'rejected',
        decision === 'approve' ? 'allow' : 'deny',
      );
    },
    revokeSessions: () => tokens.clear(),
    sockets: () => sockets.size,
    push(message) {
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.send(message);
    },
    dropSockets() {
      for (const socket of sockets) socket.terminate();
    },
    sign,
    claimsFor,
    async stop() {
      for (const socket of sockets) socket.terminate();
      for (const set of waiters.values()) for (const wake of set) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
