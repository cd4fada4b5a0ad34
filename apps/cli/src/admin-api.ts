import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@gatehouse/server';
import { CliError } from './io.ts';

export interface AdminTarget {
  url: string;
  token: string;
}

/**
 * Where and as whom commands call Gatehouse: flags, then GATEHOUSE_URL and
 * GATEHOUSE_ADMIN_TOKEN, then this machine's configuration (its listen address, and the
 * admin token the first start saved in the data dir). Any personal token with the role the
 * call needs works as well as the admin's.
 */
export function adminTarget(flags: { url?: string; token?: string }): AdminTarget {
  return {
    url: flags.url || process.env.GATEHOUSE_URL || localUrl(),
    token: flags.token || process.env.GATEHOUSE_ADMIN_TOKEN || readAdminTokenFile(),
  };
}

/** The server configured on this machine, reached over loopback when it listens on every address. */
function localUrl(): string {
  const { host, port } = loadConfig();
  if (port === 0)
    throw new CliError('GATEHOUSE_PORT is 0 (any free port), so the server cannot be found: pass --url');
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function readAdminTokenFile(): string {
  const file = join(loadConfig().dataDir, 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new CliError(
      `no admin token: set GATEHOUSE_ADMIN_TOKEN, pass --token, or run where ${file} exists`,
    );
  }
}

/** Gatehouse answered with an error: its status and code, for commands that explain some of them. */
export class ApiRefusal extends CliError {
  constructor(
    what: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly reason: string,
  ) {
    super(`${what} refused (${status}): ${reason}`, 1);
  }
}

interface CallOptions {
  method: 'GET' | 'POST';
  body?: unknown;
  /** How long to wait for the answer to start; reading a streamed answer is not limited. */
  timeoutMs?: number;
}

/**
 * The one way commands call Gatehouse: any refusal or network failure becomes a CliError
 * saying what happened. Resolves once the answer's headers are in.
 */
async function call(
  target: AdminTarget,
  path: string,
  what: string,
  options: CallOptions,
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(new URL(path, target.url), {
      method: options.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: abort.signal,
    });
  } catch (error) {
    const reason = abort.signal.aborted
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : (error as Error).message;
    throw new CliError(`cannot reach Gatehouse at ${target.url}: ${reason}`, 1);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    const parsed = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    throw new ApiRefusal(
      what,
      response.status,
      parsed.error?.code,
      parsed.error?.message ?? 'no reason given',
    );
  }
  return response;
}

/** POSTs a JSON body and returns the JSON answer. */
export async function adminPost<T>(
  target: AdminTarget,
  path: string,
  what: string,
  body: unknown = {},
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const response = await call(target, path, what, { method: 'POST', body, ...options });
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new CliError(`${what}: unreadable answer from ${target.url}: ${(error as Error).message}`, 1);
  }
}

/** GETs a JSON answer. */
export async function adminGet<T>(target: AdminTarget, path: string, what: string): Promise<T> {
  const response = await call(target, path, what, { method: 'GET' });
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new CliError(`${what}: unreadable answer from ${target.url}: ${(error as Error).message}`, 1);
  }
}

/**
 * GETs a JSON-lines answer and yields its lines (without the newline) as they arrive, so
 * an answer of any size passes through. A connection that breaks off mid-answer is an error.
 */
export async function* adminGetLines(
  target: AdminTarget,
  path: string,
  what: string,
): AsyncGenerator<string> {
  yield* linesOf(await call(target, path, what, { method: 'GET' }), target, what);
}

/**
 * POSTs a JSON body and yields the JSON-lines answer's lines as they arrive (a streamed
 * computation such as a backtest); refusals before the stream starts are ApiRefusals.
 */
export async function* adminPostLines(
  target: AdminTarget,
  path: string,
  what: string,
  body: unknown,
): AsyncGenerator<string> {
  yield* linesOf(await call(target, path, what, { method: 'POST', body }), target, what);
}

async function* linesOf(response: Response, target: AdminTarget, what: string): AsyncGenerator<string> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-ndjson') || !response.body) {
    await response.body?.cancel();
    throw new CliError(`${what}: ${target.url} answered ${type || 'nothing'}, not JSON lines`, 1);
  }
  const decoder = new TextDecoder();
  let pending = '';
  let received = 0;
  try {
    for await (const chunk of response.body) {
      pending += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        received++;
        yield pending.slice(start, end);
        start = end + 1;
      }
      pending = pending.slice(start);
    }
  } catch (error) {
    throw new CliError(
      `${what}: the answer from ${target.url} broke off after ${received} lines: ${(error as Error).message}`,
      1,
    );
  }
  pending += decoder.decode();
  if (pending) yield pending;
}
