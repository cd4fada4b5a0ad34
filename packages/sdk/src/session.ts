import { raceSignal } from './abort.ts';
import { GatehouseError } from './errors.ts';
import { callJson, endpoint, type FetchLike } from './http.ts';
import { parseSession, type Session } from './protocol.ts';

export interface SessionOptions {
  baseUrl: URL;
  agentKey: string;
  ttlSeconds?: number;
  requestTimeoutMs: number;
  fetch: FetchLike;
  now?: () => number;
}

/** Renew when this share of the token's life has passed, so no call goes out with a dying token. */
const RENEW_AT_FRACTION = 0.8;
const MIN_MARGIN_MS = 5_000;

/**
 * Trades the long-lived agent key for a short-lived session token, caches it and renews it
 * before it expires. The agent key is sent to `/v1/sessions` only; every other call uses
 * the session token.
 */
export class SessionManager {
  private current: (Session & { renewAt: number }) | undefined;
  private inflight: Promise<Session & { renewAt: number }> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  async token(signal?: AbortSignal): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.renewAt) return current.token;
    // One renewal at a time; a caller's cancellation leaves the shared renewal running for others.
    this.inflight ??= this.open().finally(() => {
      this.inflight = undefined;
    });
    const session = await raceSignal(this.inflight, signal);
    return session.token;
  }

  /** Drops the token after the server refused it, so the next call opens a new session. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  /**
   * Runs a call with the session token; on a 401 renews the session once and retries once.
   * A second refusal is final.
   */
  async withToken<T>(call: (token: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const token = await this.token(signal);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof GatehouseError) || error.code !== 'ERR_UNAUTHORIZED') throw error;
      this.invalidate(token);
      return call(await this.token(signal));
    }
  }

  clear(): void {
    this.current = undefined;
  }

  private async open(): Promise<Session & { renewAt: number }> {
    const started = this.now();
    const response = await callJson(endpoint(this.options.baseUrl, '/v1/sessions'), {
      method: 'POST',
      token: this.options.agentKey,
      body: this.options.ttlSeconds === undefined ? {} : { ttlSeconds: this.options.ttlSeconds },
      timeoutMs: this.options.requestTimeoutMs,
      fetch: this.options.fetch,
    });
    const session = parseSession(response.body, this.now());
    const life = session.expiresAt - started;
    const renewAt = Math.min(started + life * RENEW_AT_FRACTION, session.expiresAt - MIN_MARGIN_MS);
    this.current = { ...session, renewAt };
    return this.current;
  }
}
