import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server that accepts every connection and request and never answers. */
export async function startSilentServer(): Promise<{
  url: string;
  hits: () => number;
  stop(): Promise<void>;
}> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {
    hits += 1;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', () => {
    hits += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fresh directory and a marker path inside it that a command under test would create. */
export function markerPath(label: string): { dir: string; marker: string; exists: () => boolean } {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-sdk-${label}-`));
  const marker = join(dir, 'ran');
  return { dir, marker, exists: () => existsSync(marker) };
}
