import { backoffDelay } from '@gatehouse/contract/backoff';
import type { RequestView } from './types.ts';

export type LiveStatus = 'connecting' | 'live' | 'disconnected';

export type LiveMessage =
  | { type: 'hello'; data: { principal: { type: string; id: string } } }
  | { type: 'request.created' | 'request.updated'; data: RequestView }
  | { type: 'approval.requested'; data: { id: string; tier: string; approvers: string[] } }
  | { type: 'request.escalated'; data: { id: string } }
  | { type: 'grant.changed' | 'grant.ended'; data: { id: string } };

export interface LiveOptions {
  onMessage(message: LiveMessage): void;
  onStatus(status: LiveStatus): void;
  /** After a reconnect: events may have been missed while away, so views re-read the API. */
  onReconnect(): void;
  url?: string;
}

/** Pages back off like agents do, a little gentler at the start: many open tabs, one server. */
const RECONNECT_BACKOFF = { baseMs: 500, maxMs: 15_000 };

function streamUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/stream`;
}

/**
 * The live stream of request events. It reconnects by itself until stopped; the session
 * cookie authenticates it (same origin), so a page whose session ended stays disconnected
 * until the next API call sends it to the login page.
 */
export function connectLive(options: LiveOptions): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let everOpened = false;

  const open = () => {
    if (stopped) return;
    options.onStatus('connecting');
    const ws = new WebSocket(options.url ?? streamUrl());
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      options.onStatus('live');
      if (everOpened) options.onReconnect();
      everOpened = true;
    };
    ws.onmessage = (event) => {
      try {
        options.onMessage(JSON.parse(String(event.data)) as LiveMessage);
      } catch {
        // A message that is not JSON is not one of ours; ignore it.
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (stopped) return;
      options.onStatus('disconnected');
      timer = setTimeout(open, backoffDelay(attempt++, RECONNECT_BACKOFF));
    };
    ws.onerror = () => ws.close();
  };

  // Coming back online or to the tab is a good moment to retry at once instead of waiting.
  const retryNow = () => {
    if (stopped || socket) return;
    clearTimeout(timer);
    attempt = 0;
    open();
  };
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', retryNow);

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('online', retryNow);
    document.removeEventListener('visibilitychange', retryNow);
    socket?.close();
    socket = null;
  };
}
