import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from '@gatehouse/contract';
import WebSocket from 'ws';
import { raceSignal } from './abort.ts';
import type { SafeLogger } from './logger.ts';
import { parseStreamMessage, type StreamVerdict } from './protocol.ts';

export interface StreamOptions {
  url: URL;
  token: () => Promise<string>;
  /** Called when the server refused the token during the handshake. */
  invalidate: (token: string) => void;
  handshakeTimeoutMs: number;
  logger: SafeLogger;
  backoff?: BackoffOptions;
}

/** Verdicts that arrive before anyone waits for them (decided between submit and subscribe). */
const RECENT_LIMIT = 256;
/** A `verdict.ready` event is well under this; anything larger is not from a sane server. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * The live `/v1/stream` connection, shared by every authorization in flight. It only
 * shortens waits: the long-poll runs alongside it, so a dropped or refused socket costs
 * latency, never correctness. Reconnects with backoff while anyone is waiting and closes
 * when nobody is, so an idle client keeps no connection (and no process) alive.
 */
export class VerdictStream {
  private users = 0;
  private socket: WebSocket | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private readonly waiters = new Map<string, Set<(verdict: StreamVerdict) => void>>();
  private readonly recent = new Map<string, StreamVerdict>();

  constructor(private readonly options: StreamOptions) {}

  /** Keeps the connection open until the returned release function is called. */
  acquire(): () => void {
    this.users += 1;
    if (this.users === 1) this.connect();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users -= 1;
      if (this.users === 0) this.disconnect();
    };
  }

  /** Resolves with the first final verdict event for the request; rejects only on abort. */
  next(requestId: string, signal: AbortSignal): Promise<StreamVerdict> {
    const seen = this.recent.get(requestId);
    if (seen) return Promise.resolve(seen);
    let listener: ((verdict: StreamVerdict) => void) | undefined;
    const arrival = new Promise<StreamVerdict>((resolve) => {
      listener = resolve;
      const set = this.waiters.get(requestId) ?? new Set();
      set.add(resolve);
      this.waiters.set(requestId, set);
    });
    const cleanup = () => {
      const set = this.waiters.get(requestId);
      if (!set || !listener) return;
      set.delete(listener);
      if (set.size === 0) this.waiters.delete(requestId);
    };
    return raceSignal(arrival, signal).finally(cleanup);
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.users = 0;
    this.disconnect();
  }

  private connect(): void {
    if (this.users === 0 || this.socket) return;
    this.options
      .token()
      .then((token) => this.open(token))
      .catch((error: unknown) => {
        this.options.logger.debug('stream: no session for the socket', { error: String(error) });
        this.scheduleReconnect();
      });
  }

  private open(token: string): void {
    if (this.users === 0 || this.socket) return;
    const socket = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: this.options.handshakeTimeoutMs,
      maxPayload: MAX_MESSAGE_BYTES,
      followRedirects: false,
    });
    this.socket = socket;
    const lost = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.scheduleReconnect();
    };
    socket.on('open', () => {
      this.attempt = 0;
      this.options.logger.debug('stream: connected');
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const verdict = parseStreamMessage(data.toString());
      if (verdict) this.deliver(verdict);
    });
    socket.on('unexpected-response', (request, response) => {
      if (response.statusCode === 401) this.options.invalidate(token);
      this.options.logger.debug('stream: handshake refused', { status: response.statusCode });
      response.resume();
      request.destroy();
      lost();
    });
    socket.on('error', (error) => {
      this.options.logger.debug('stream: socket error', { error: error.message });
      lost();
    });
    socket.on('close', lost);
  }

  private deliver(verdict: StreamVerdict): void {
    const set = this.waiters.get(verdict.id);
    if (set && set.size > 0) {
      for (const resolve of [...set]) resolve(verdict);
      return;
    }
    if (this.recent.has(verdict.id)) return;
    this.recent.set(verdict.id, verdict);
    if (this.recent.size > RECENT_LIMIT) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  private scheduleReconnect(): void {
    if (this.users === 0 || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt, this.options.backoff ?? DEFAULT_BACKOFF);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private disconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.recent.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
    }
  }
}
