import type { User } from './types.ts';

/** An error answer of the API, `{error: {code, message}}`, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** The token the session cookie is paired with; sent on every state-changing call. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the session is gone (401), so the app can show the login page. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function apiFetch<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE_METHODS.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'Gatehouse cannot be reached. Check your connection.');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    const failure = new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? `${response.status} ${response.statusText}`,
    );
    // The login call answers 401 for a wrong password; that is not a lost session.
    if (response.status === 401 && path !== '/v1/auth/login') onUnauthorized?.();
    throw failure;
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => apiFetch<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => apiFetch<T>('POST', path, body),
  delete: <T>(path: string) => apiFetch<T>('DELETE', path),
  patch: <T>(path: string, body: unknown) => apiFetch<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => apiFetch<T>('PUT', path, body),
};

export interface SessionInfo {
  user: User;
  csrfToken: string;
}

/** Builds a query string from the set values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * POSTs a JSON body and hands each line of a JSON-lines answer to `onLine` as it arrives
 * (a streamed computation such as a backtest). A refusal before the stream starts is the
 * same ApiError as `apiFetch` throws; `signal` stops reading.
 */
export async function apiPostLines(
  path: string,
  body: unknown,
  onLine: (line: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = {
    accept: 'application/x-ndjson, application/json',
    'content-type': 'application/json',
  };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers,
      credentials: 'same-origin',
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'NETWORK_ERROR', 'Gatehouse cannot be reached. Check your connection.');
  }
  if (!response.ok || !response.body) {
    const parsed = (await response.json().catch(() => undefined)) as
      | { error?: { code?: string; message?: string } }
      | undefined;
    if (response.status === 401) onUnauthorized?.();
    throw new ApiError(
      response.status,
      parsed?.error?.code ?? `HTTP_${response.status}`,
      parsed?.error?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  try {
    await readLines();
  } finally {
    // A line the caller refused stops the reading; the rest of the answer is not wanted.
    void reader.cancel().catch(() => {});
  }
  if (pending.trim()) onLine(JSON.parse(pending));

  async function readLines() {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new ApiError(0, 'NETWORK_ERROR', 'The answer broke off. Check your connection and try again.');
      }
      if (chunk.done) break;
      pending += chunk.value;
      // What onLine throws is the caller's own refusal of a line, so it is not caught here.
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line) onLine(JSON.parse(line));
      }
    }
  }
}
