import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

// An attacker between the agent and the server: forwards everything to the real upstream
// and lets a test rewrite any JSON answer or stream message on the way back.

export interface Exchange {
  method: string;
  /** Path with the query string. */
  path: string;
  /** Path with request ids replaced by `:id`. */
  route: string;
  requestBody: unknown;
  status: number;
  body: unknown;
}

export interface TamperOptions {
  upstream: string;
  rewrite?: (
    exchange: Exchange,
  ) => Promise<{ status: number; body: unknown } | undefined> | { status: number; body: unknown } | undefined;
  /** Rewrites a stream message; return null to drop it. */
  rewriteStream?: (message: string) => Promise<string | null> | string | null;
  /** Refuse WebSocket upgrades, leaving the SDK with long-poll only. */
  blockStream?: boolean;
}

export interface TamperProxy {
  url: string;
  exchanges: Exchange[];
  stop(): Promise<void>;
}

export async function startTamperProxy(options: TamperOptions): Promise<TamperProxy> {
  const exchanges: Exchange[] = [];
  const sockets = new Set<WebSocket>();

  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const parse = (text: string): unknown => {
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      return text;
    }
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const text = await read(req);
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(new URL(req.url ?? '/', options.upstream), {
        method: req.method ?? 'GET',
        headers,
        ...(text && req.method !== 'GET' ? { body: text } : {}),
        redirect: 'manual',
      });
      const upstreamText = await upstream.text();
      const path = req.url ?? '/';
      const exchange: Exchange = {
        method: req.method ?? 'GET',
        path,
        route: `${req.method} ${path.split('?')[0]!.replace(/\/v1\/requests\/[^/]+/, '/v1/requests/:id')}`,
        requestBody: parse(text),
        status: upstream.status,
        body: parse(upstreamText),
      };
      exchanges.push(exchange);
      const replaced = await options.rewrite?.(exchange);
      if (replaced) {
        res.writeHead(replaced.status, { 'content-type': 'application/json' });
        res.end(typeof replaced.body === 'string' ? replaced.body : JSON.stringify(replaced.body));
        return;
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(upstreamText);
    } catch {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'proxy failure' } }));
    }
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (options.blockStream) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const target = new URL(req.url ?? '/', options.upstream);
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
    const upstream = new WebSocket(target, { headers: { authorization: req.headers.authorization ?? '' } });
    upstream.on('error', () => socket.destroy());
    upstream.on('unexpected-response', (_request, response) => {
      socket.end(`HTTP/1.1 ${response.statusCode} Refused\r\nContent-Length: 0\r\n\r\n`);
    });
    upstream.on('open', () => {
      wss.handleUpgrade(req, socket, head, (client) => {
        sockets.add(client);
        sockets.add(upstream);
        upstream.on('message', async (data, isBinary) => {
          const message = isBinary ? data.toString() : data.toString();
          const out = options.rewriteStream ? await options.rewriteStream(message) : message;
          if (out !== null && client.readyState === WebSocket.OPEN) client.send(out);
        });
        upstream.on('close', () => client.close());
        client.on('close', () => upstream.close());
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    async stop() {
      for (const socket of sockets) socket.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
