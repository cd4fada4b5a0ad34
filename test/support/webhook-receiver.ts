import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, as it arrived: the raw body is what the signature covers. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
}

/** How the receiver answers: a status (and headers), or never (the connection is held open). */
export type Behaviour = { status: number; headers?: Record<string, string> } | 'hang';

export interface WebhookReceiver {
  /** Base URL on 127.0.0.1; any path is accepted. */
  url: string;
  received: Received[];
  /** How to answer from now on (default: 200 to everything). */
  answer(behaviour: (request: Received) => Behaviour): void;
  /** Resolves with the first request (already received or still to come) that matches. */
  waitFor(match: (request: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Answers every held ("hang") request with 200 now. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server standing in for a webhook receiver: it records every request and answers
 * as the test says (200, 500, a redirect, or not at all). Listens on 127.0.0.1 only.
 */
export async function startReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  let behaviour: (request: Received) => Behaviour = () => ({ status: 200 });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      const request: Received = { path: req.url ?? '/', headers, body, json };
      received.push(request);
      for (const waiter of [...waiters]) {
        if (waiter.match(request)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(request);
        }
      }
      const answer = behaviour(request);
      if (answer === 'hang') {
        held.push(res);
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {}).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (next) => {
      behaviour = next;
    },
    waitFor: (match, timeoutMs = 15_000) => {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i !== -1) {
            waiters.splice(i, 1);
            reject(new Error(`the receiver got no matching request within ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
      });
    },
    release: () => {
      for (const res of held.splice(0)) if (!res.writableEnded) res.writeHead(200).end('late');
    },
    close: async () => {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
