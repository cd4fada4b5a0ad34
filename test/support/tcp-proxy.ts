import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy between a server and its database, to cut the line and restore it while both
 * keep running. `cut('reset')` is a crash or failover as the client sees it: every open
 * connection is reset and new ones are refused at once. `cut('silent')` is a partition:
 * connections stay open and new ones are accepted, but nothing gets through either way
 * until `restore()`, when what was held is delivered (TCP would retransmit it).
 */
export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  cut(mode?: 'reset' | 'silent'): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'open' | 'reset' | 'silent' = 'open';
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const waiting = new Set<Socket>();

  const forward = (client: Socket) => {
    const upstream = new Socket();
    const pair = { client, upstream };
    pairs.add(pair);
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      upstream.destroy();
      pairs.delete(pair);
    });
    upstream.on('close', () => {
      client.destroy();
      pairs.delete(pair);
    });
    upstream.connect(target.port, target.host, () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    client.on('error', () => client.destroy());
    if (state === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (state === 'silent') {
      waiting.add(client);
      client.on('close', () => waiting.delete(client));
      return;
    }
    forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no port');
  const port = address.port;

  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut(mode = 'reset') {
      state = mode;
      for (const { client, upstream } of pairs) {
        if (mode === 'reset') {
          client.resetAndDestroy();
          upstream.destroy();
        } else {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
      }
      if (mode === 'reset') pairs.clear();
    },
    restore() {
      state = 'open';
      for (const { client, upstream } of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of waiting) forward(client);
      waiting.clear();
    },
    async stop() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const socket of waiting) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
