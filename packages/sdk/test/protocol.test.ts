import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatehouseClient, type GatehouseClientOptions, type OutputChunk } from '../src/index.ts';
import { SessionManager } from '../src/session.ts';
import { markerPath } from './support/net.ts';
import { streamText } from './support/output.ts';
import { type StandInOptions, startStandIn } from './support/stand-in.ts';

// Waiting, reconnecting, session renewal and run(): the behaviour around the verdict,
// against the contract stand-in so that drops and refusals can be produced on demand.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(options: StandInOptions = {}, extra: Partial<GatehouseClientOptions> = {}) {
  const s = await startStandIn(options);
  cleanups.push(() => s.stop());
  const gh = new GatehouseClient({
    url: s.url,
    agentKey: s.agentKey,
    timeoutMs: 8_000,
    requestTimeoutMs: 2_000,
    backoff: { baseMs: 20, maxMs: 200 },
    ...extra,
  });
  cleanups.push(() => gh.close());
  return { s, gh };
}

const pendingOnly = (route: string, reply: { status: number; body: unknown }) =>
  route === 'GET /v1/requests/:id/verdict' ? { status: 202, body: { status: 'pending' } } : reply;

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 4_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('waiting for a human decision', () => {
  it('gets an approval over the stream when the long-poll never sees it', async () => {
    const { s, gh } = await setup({ outcome: () => 'pending', tamper: pendingOnly });
    const decision = gh.authorize({
      kind: 'shell',
      command: 'systemctl restart nginx',
      context: { host: 'web-1' },
    });
    const request = await waitFor(() => [...s.requests.values()][0]);
    await waitFor(() => s.sockets() > 0 || undefined);
    await s.decide(request.id, 'approve');
    expect(await decision).toMatchObject({
      allowed: true,
      status: 'approved',
      requestId: request.id,
      tier: 'review',
    });
    expect(request.consumed).toBe(true);
    // Nobody waits any more, so the socket is released.
    await waitFor(() => s.sockets() === 0 || undefined);
  });

  it('gets an approval by long-poll when the server refuses the stream', async () => {
    const { s, gh } = await setup({ outcome: () => 'pending', stream: false });
    const decision = gh.authorize({ kind: 'shell', command: 'systemctl restart nginx' });
    const request = await waitFor(() => [...s.requests.values()][0]);
    await new Promise((r) => setTimeout(r, 200));
    await s.decide(request.id, 'approve');
    expect((await decision).allowed).toBe(true);
    expect(s.calls.filter((c) => c === 'GET /v1/requests/:id/verdict').length).toBeGreaterThanOrEqual(1);
  });

  it('reconnects a dropped stream and still gets the decision', async () => {
    const { s, gh } = await setup({ outcome: () => 'pending', tamper: pendingOnly });
    const decision = gh.authorize({ kind: 'shell', command: 'systemctl restart nginx' });
    const request = await waitFor(() => [...s.requests.values()][0]);
    await waitFor(() => s.sockets() > 0 || undefined);
    s.dropSockets();
    await waitFor(() => s.sockets() === 0 || undefined);
    await waitFor(() => s.sockets() > 0 || undefined);
    await s.decide(request.id, 'approve');
    expect((await decision).allowed).toBe(true);
  });

  it('returns a verified rejection as not allowed, with the claims', async () => {
    const { s, gh } = await setup({ outcome: () => 'pending' });
    const decision = gh.authorize({ kind: 'shell', command: 'systemctl restart nginx' });
    const request = await waitFor(() => [...s.requests.values()][0]);
    await s.decide(request.id, 'reject');
    const result = await decision;
    expect(result).toMatchObject({
      allowed: false,
      status: 'rejected',
      claims: { decision: 'deny', jti: request.id },
    });
    expect(result.error).toBeUndefined();
    expect(request.consumed).toBe(false);
  });

  it('keeps long-polling through server errors until a decision', async () => {
    let failures = 0;
    const { s, gh } = await setup(
      {
        outcome: () => 'pending',
        intercept: (route) => {
          if (route === 'GET /v1/requests/:id/verdict' && failures < 3) {
            failures += 1;
            return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'restarting' } } };
          }
          return undefined;
        },
      },
      { stream: false },
    );
    const decision = gh.authorize({ kind: 'shell', command: 'systemctl restart nginx' });
    const request = await waitFor(() => [...s.requests.values()][0]);
    await waitFor(() => failures === 3 || undefined);
    await s.decide(request.id, 'approve');
    expect((await decision).allowed).toBe(true);
  });

  it('stops at once when the verdict endpoint says the request is not ours', async () => {
    const { gh } = await setup(
      {
        outcome: () => 'pending',
        intercept: (route) =>
          route === 'GET /v1/requests/:id/verdict'
            ? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no' } } }
            : undefined,
      },
      { stream: false },
    );
    const started = Date.now();
    const decision = await gh.authorize({ kind: 'shell', command: 'ls' });
    expect(decision.error?.code).toBe('ERR_REQUEST');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('sessions', () => {
  it('renews once after a 401 and carries on', async () => {
    const { s, gh } = await setup();
    expect((await gh.authorize({ kind: 'shell', command: 'ls' })).allowed).toBe(true);
    s.revokeSessions();
    expect((await gh.authorize({ kind: 'shell', command: 'ls' })).allowed).toBe(true);
    expect(s.calls.filter((c) => c === 'POST /v1/sessions').length).toBe(2);
  });

  it('fails closed when the renewed token is refused as well', async () => {
    const { s, gh } = await setup({
      tamper: (route, reply) =>
        route === 'POST /v1/requests'
          ? { status: 401, body: { error: { code: 'SESSION_REVOKED', message: 'revoked' } } }
          : reply,
    });
    const decision = await gh.authorize({ kind: 'shell', command: 'ls' });
    expect(decision.error?.code).toBe('ERR_UNAUTHORIZED');
    expect(s.calls.filter((c) => c === 'POST /v1/sessions').length).toBe(2);
    expect(s.calls.filter((c) => c === 'POST /v1/requests').length).toBe(2);
  });

  it('refuses a wrong agent key', async () => {
    const { s } = await setup();
    const gh = new GatehouseClient({ url: s.url, agentKey: 'wrong', requestTimeoutMs: 2_000 });
    cleanups.push(() => gh.close());
    expect((await gh.authorize({ kind: 'shell', command: 'ls' })).error?.code).toBe('ERR_UNAUTHORIZED');
  });

  it('caches the token and renews it before it expires', async () => {
    const { s } = await setup({ sessionTtlSeconds: 600 });
    let now = Date.now();
    const sessions = new SessionManager({
      baseUrl: new URL(s.url),
      agentKey: s.agentKey,
      requestTimeoutMs: 2_000,
      fetch: (input, init) => fetch(input, init),
      now: () => now,
    });
    const first = await sessions.token();
    expect(await sessions.token()).toBe(first);
    now += 400_000;
    expect(await sessions.token()).toBe(first);
    now += 100_000; // 500 s of 600 s: past the renewal point, before expiry
    const second = await sessions.token();
    expect(second).not.toBe(first);
    const [a, b] = await Promise.all([sessions.token(), sessions.token()]);
    expect(a).toBe(second);
    expect(b).toBe(second);
    expect(s.calls.filter((c) => c === 'POST /v1/sessions').length).toBe(2);
  });
});

describe('run()', () => {
  it('runs the exact approved string with sh -c and reports exit code and duration', async () => {
    const { s, gh } = await setup();
    const { dir } = markerPath('run');
    const command = `printf '%s|' "a  b" $((6*7)); echo oops >&2; exit 3`;
    const result = await gh.run(command, { cwd: dir, stdio: 'pipe' });
    expect(result).toMatchObject({
      allowed: true,
      exitCode: 3,
      stdout: 'a  b|42|',
      stderr: 'oops\n',
      timedOut: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.reportError).toBeUndefined();
    const request = [...s.requests.values()][0]!;
    expect(request.subject.command).toBe(command);
    // The output goes with the result (recording is on by default), as timestamped chunks.
    expect(request.results).toEqual([
      {
        exitCode: 3,
        durationMs: result.durationMs,
        output: { chunks: expect.any(Array), truncated: false },
      },
    ]);
    const { chunks } = (request.results[0] as { output: { chunks: OutputChunk[] } }).output;
    expect(streamText(chunks, 'stdout')).toBe('a  b|42|');
    expect(streamText(chunks, 'stderr')).toBe('oops\n');
  });

  it('sends the working directory as context and refuses a disagreeing one', async () => {
    const { s, gh } = await setup();
    const { dir, marker, exists } = markerPath('cwd');
    const result = await gh.run('touch ran', { cwd: dir });
    expect(result.allowed).toBe(true);
    expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('');
    const mismatch = await gh.run(`touch '${marker}2'`, { cwd: dir, context: { cwd: '/' } });
    expect(mismatch.decision.error?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(exists()).toBe(true);
    expect(s.requests.size).toBe(1);
  });

  it('kills a command that outlives its timeout and reports the signal', async () => {
    const { s, gh } = await setup();
    const result = await gh.run('sleep 5', { timeoutMs: 200, stdio: 'pipe' });
    expect(result).toMatchObject({ allowed: true, timedOut: true, signal: 'SIGTERM', exitCode: null });
    expect([...s.requests.values()][0]!.results).toEqual([
      {
        exitCode: 128,
        durationMs: result.durationMs,
        signal: 'SIGTERM',
        output: { chunks: [], truncated: false },
      },
    ]);
  });

  it('surfaces a failed report without changing the outcome', async () => {
    const { gh } = await setup({
      tamper: (route, reply) =>
        route === 'POST /v1/requests/:id/result'
          ? { status: 500, body: { error: { code: 'X', message: 'x' } } }
          : reply,
    });
    const result = await gh.run('true');
    expect(result).toMatchObject({ allowed: true, exitCode: 0, reportError: { code: 'ERR_SERVER' } });
  });

  it('truncates captured output at the limit', async () => {
    const { gh } = await setup();
    const result = await gh.run('head -c 100000 /dev/zero', { stdio: 'pipe', maxOutputBytes: 1000 });
    expect(result.stdout?.length).toBe(1000);
    expect(result.truncated).toBe(true);
  });

  it('authorizes SQL against the database named in the context', async () => {
    const { s, gh } = await setup();
    const decision = await gh.authorize({
      kind: 'sql',
      command: 'select 1',
      dialect: 'postgresql',
      context: { database: 'app' },
    });
    expect(decision.allowed).toBe(true);
    expect([...s.requests.values()][0]!.subject).toEqual({
      kind: 'sql',
      command: 'select 1',
      dialect: 'postgresql',
      target: 'app',
    });
  });
});
