import { randomUUID } from 'node:crypto';
import {
  buildVerdictClaims,
  commandHash,
  generateVerdictKeyPair,
  privateKeyFromJwk,
  signingKeyFromJwk,
  signVerdict,
} from '@gatehouse/verdict';
import { afterEach, describe, expect, it } from 'vitest';
import { GatehouseClient, type GatehouseClientOptions } from '../src/index.ts';
import { deadPort, markerPath, startSilentServer } from './support/net.ts';
import {
  type Reply,
  type StandIn,
  type StandInOptions,
  type StandInRequest,
  startStandIn,
} from './support/stand-in.ts';

// Each case: the command would create a marker file; the SDK must refuse and the file must
// never appear. A positive control proves the same command does run when nothing is wrong.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function client(url: string, agentKey: string, extra: Partial<GatehouseClientOptions> = {}) {
  const c = new GatehouseClient({ url, agentKey, timeoutMs: 5_000, requestTimeoutMs: 1_000, ...extra });
  cleanups.push(() => c.close());
  return c;
}

async function standIn(options: StandInOptions = {}): Promise<StandIn> {
  const s = await startStandIn(options);
  cleanups.push(() => s.stop());
  return s;
}

function touch(marker: string): string {
  return `touch '${marker}'`;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('fail closed: transport', () => {
  it('refuses when nothing listens on the server port', async () => {
    const { marker, exists } = markerPath('down');
    const gh = client(`http://127.0.0.1:${await deadPort()}`, 'key');
    const result = await gh.run(touch(marker));
    expect(result.allowed).toBe(false);
    expect(result.decision).toMatchObject({
      allowed: false,
      status: 'error',
      error: { code: 'ERR_NETWORK' },
    });
    expect(result.exitCode).toBeUndefined();
    expect(exists()).toBe(false);
  });

  it('refuses when the server accepts and never answers', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.stop());
    const { marker, exists } = markerPath('silent');
    const gh = client(silent.url, 'key', { requestTimeoutMs: 300 });
    const started = Date.now();
    const result = await gh.run(touch(marker));
    expect(result.decision.error?.code).toBe('ERR_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(silent.hits()).toBeGreaterThan(0);
    expect(exists()).toBe(false);
  });

  it('refuses when no verdict arrives before the overall timeout', async () => {
    const s = await standIn({ outcome: () => 'pending' });
    const { marker, exists } = markerPath('slow');
    const gh = client(s.url, s.agentKey, { timeoutMs: 1_500 });
    const started = Date.now();
    const result = await gh.run(touch(marker));
    expect(result.decision).toMatchObject({
      allowed: false,
      status: 'error',
      error: { code: 'ERR_TIMEOUT' },
    });
    expect(result.decision.requestId).toMatch(/^req_/);
    expect(Date.now() - started).toBeLessThan(4_000);
    // The approval arriving afterwards changes nothing: nothing is waiting to run it.
    await s.decide(result.decision.requestId!, 'approve');
    expect(exists()).toBe(false);
  });

  it('refuses on a 5xx, a non-JSON body and an oversized body', async () => {
    for (const [reply, code] of [
      [{ status: 503, body: { error: { code: 'UNAVAILABLE', message: 'down' } } }, 'ERR_SERVER'],
      [{ status: 201, body: '<html>' }, 'ERR_PROTOCOL'],
      [
        { status: 201, body: { id: 'x', status: 'approved', pad: 'x'.repeat(2 * 1024 * 1024) } },
        'ERR_PROTOCOL',
      ],
      [{ status: 201, body: { id: 'x', status: 'allowed' } }, 'ERR_PROTOCOL'],
      [{ status: 201, body: { id: 'x', status: 'approved' } }, 'ERR_PROTOCOL'],
    ] as const) {
      const s = await standIn({
        tamper: (route, original) =>
          route === 'POST /v1/requests'
            ? typeof reply.body === 'string'
              ? { ...reply, body: reply.body }
              : reply
            : original,
      });
      const { marker, exists } = markerPath('5xx');
      const result = await client(s.url, s.agentKey).run(touch(marker));
      expect(result.decision.error?.code, JSON.stringify(reply).slice(0, 80)).toBe(code);
      expect(exists()).toBe(false);
    }
  });
});

describe('fail closed: tampered verdicts', () => {
  it('positive control: the untampered command runs', async () => {
    const s = await standIn();
    const { marker, exists } = markerPath('control');
    const result = await client(s.url, s.agentKey).run(touch(marker));
    expect(result).toMatchObject({ allowed: true, exitCode: 0 });
    expect(result.decision).toMatchObject({ allowed: true, status: 'auto_approved' });
    expect(exists()).toBe(true);
  });

  type Forge = (s: StandIn, request: StandInRequest) => Promise<{ status?: string; verdict?: string }>;
  const other = await_key();

  const cases: Array<[string, Forge, string, StandInOptions['outcome']?]> = [
    [
      'a deny verdict whose payload was flipped to allow (signature kept)',
      async (_s, request) => {
        const [header, payload, signature] = request.verdict!.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        return {
          status: 'auto_approved',
          verdict: `${header}.${b64({ ...claims, decision: 'allow' })}.${signature}`,
        };
      },
      'ERR_VERDICT_SIGNATURE',
      () => 'deny',
    ],
    [
      'a deny verdict under an allow status',
      async (_s, request) => ({ status: 'approved', verdict: request.verdict! }),
      'ERR_VERDICT_STATUS_MISMATCH',
      () => 'deny',
    ],
    [
      'a genuine verdict for another command',
      async (s, request) => ({
        verdict: await s.sign({
          ...s.claimsFor(request, 'allow'),
          cmd: commandHash({ kind: 'shell', command: 'ls' }),
        }),
      }),
      'ERR_VERDICT_COMMAND_MISMATCH',
    ],
    [
      'a genuine verdict for the same command on another host',
      async (s, request) => ({
        verdict: await s.sign({
          ...s.claimsFor(request, 'allow'),
          cmd: commandHash({ ...request.subject, target: 'prod-db-1' }),
        }),
      }),
      'ERR_VERDICT_COMMAND_MISMATCH',
    ],
    [
      'a genuine verdict for another request',
      async (s, request) => ({
        verdict: await s.sign({ ...s.claimsFor(request, 'allow'), jti: 'req_other' }),
      }),
      'ERR_VERDICT_WRONG_SUBJECT',
    ],
    [
      'a genuine verdict issued to another agent',
      async (s, request) => ({
        verdict: await s.sign({ ...s.claimsFor(request, 'allow'), sub: 'agt_other' }),
      }),
      'ERR_VERDICT_WRONG_SUBJECT',
    ],
    [
      'an expired verdict signed with the published key',
      async (s, request) => {
        const claims = s.claimsFor(request, 'allow');
        return { verdict: await s.sign({ ...claims, iat: claims.iat - 3600, exp: claims.iat - 600 }) };
      },
      'ERR_VERDICT_EXPIRED',
    ],
    [
      'a verdict re-signed with a key the server does not publish',
      async (s, request) => {
        const key = await other;
        const signing = signingKeyFromJwk(key.privateJwk);
        return { verdict: await signVerdict(s.claimsFor(request, 'allow'), signing) };
      },
      'ERR_VERDICT_UNKNOWN_KEY',
    ],
    [
      'a verdict re-signed with another key under the published kid',
      async (s, request) => {
        const key = await other;
        const signing = { kid: s.key.kid, privateKey: privateKeyFromJwk(key.privateJwk) };
        return { verdict: await signVerdict(s.claimsFor(request, 'allow'), signing) };
      },
      'ERR_VERDICT_SIGNATURE',
    ],
    [
      'an unsigned verdict (alg none)',
      async (s, request) => ({
        verdict: `${b64({ alg: 'none', typ: 'gatehouse-verdict+jwt' })}.${b64(s.claimsFor(request, 'allow'))}.`,
      }),
      'ERR_VERDICT_MALFORMED',
    ],
    [
      'a verdict with an HMAC header keyed by the public key',
      async (s, request) => ({
        verdict: `${b64({ alg: 'HS256', kid: s.key.kid, typ: 'gatehouse-verdict+jwt' })}.${b64(s.claimsFor(request, 'allow'))}.AAAA`,
      }),
      'ERR_VERDICT_MALFORMED',
    ],
    [
      'an allow status with no verdict at all',
      async () => ({ verdict: undefined as never }),
      'ERR_PROTOCOL',
      () => 'deny',
    ],
  ];

  for (const [name, forge, code, outcome] of cases) {
    it(`refuses ${name}`, async () => {
      let s!: StandIn;
      s = await standIn({
        ...(outcome ? { outcome } : {}),
        tamper: async (route, reply, request) => {
          if (route !== 'POST /v1/requests' || !request) return reply;
          const forged = await forge(s, request);
          const body: Record<string, unknown> = {
            ...(reply.body as Record<string, unknown>),
            status: forged.status ?? 'auto_approved',
          };
          if (forged.verdict === undefined) delete body.verdict;
          else body.verdict = forged.verdict;
          return { status: 201, body };
        },
      });
      const gh = client(s.url, s.agentKey, { agentId: s.agentId });
      const { marker, exists } = markerPath('forge');
      const result = await gh.run(touch(marker));
      expect(result.allowed).toBe(false);
      expect(result.decision.allowed).toBe(false);
      expect(result.decision.error?.code).toBe(code);
      expect(exists()).toBe(false);
      expect([...s.requests.values()].every((r) => !r.consumed)).toBe(true);
    });
  }

  it('refuses an injected key serving an expired verdict, and a fresh forgery when keys are pinned', async () => {
    const attacker = await generateVerdictKeyPair();
    const signing = signingKeyFromJwk(attacker.privateJwk);
    let expired = true;
    let s!: StandIn;
    s = await standIn({
      outcome: () => 'deny',
      tamper: (route, reply) => {
        if (route === 'GET /.well-known/jwks.json')
          return { status: 200, body: { keys: [s.key.publicJwk, attacker.publicJwk] } };
        return reply;
      },
    });
    // A fetch in front of the client plays the proxy for the submit answer.
    const forgingFetch = async (input: string | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/v1/requests')) return response;
      const body = (await response.json()) as { id: string };
      const request = s.requests.get(body.id)!;
      const now = Math.floor(Date.now() / 1000);
      const claims = buildVerdictClaims({
        issuer: 'gatehouse-standin',
        agentId: s.agentId,
        sessionId: 'ses',
        requestId: request.id,
        decision: 'allow',
        tier: 'auto',
        score: 1,
        subject: request.subject,
        approvers: [],
        policyVersion: 'x',
        now: new Date((expired ? now - 3600 : now) * 1000),
      });
      const verdict = await signVerdict(claims, signing);
      return new Response(JSON.stringify({ ...body, status: 'auto_approved', verdict }), { status: 201 });
    };
    const { marker, exists } = markerPath('inject');
    const first = await client(s.url, s.agentKey, { fetch: forgingFetch }).run(touch(marker));
    expect(first.decision.error?.code).toBe('ERR_VERDICT_EXPIRED');

    expired = false;
    const pinned = client(s.url, s.agentKey, {
      fetch: forgingFetch,
      trustedKeys: { keys: [s.key.publicJwk] },
    });
    const second = await pinned.run(touch(marker));
    expect(second.decision.error?.code).toBe('ERR_VERDICT_UNKNOWN_KEY');

    // Unpinned, the forgery verifies; the server refuses to consume a denied request.
    const unpinned = await client(s.url, s.agentKey, { fetch: forgingFetch }).run(touch(marker));
    expect(unpinned.allowed).toBe(false);
    expect(unpinned.decision.error?.code).toBe('ERR_VERDICT_REPLAYED');
    expect(exists()).toBe(false);
  });
});

describe('fail closed: single use', () => {
  it('refuses when the server cannot confirm the consume', async () => {
    for (const [reply, code] of [
      [
        { status: 409, body: { error: { code: 'VERDICT_ALREADY_USED', message: 'used' } } },
        'ERR_VERDICT_REPLAYED',
      ],
      [
        { status: 409, body: { error: { code: 'VERDICT_EXPIRED', message: 'expired' } } },
        'ERR_VERDICT_EXPIRED',
      ],
      [{ status: 500, body: { error: { code: 'INTERNAL', message: 'x' } } }, 'ERR_SERVER'],
      [{ status: 403, body: { error: { code: 'AGENT_REVOKED', message: 'x' } } }, 'ERR_FORBIDDEN'],
      [{ status: 200, body: { consumed: false } }, 'ERR_PROTOCOL'],
      [{ status: 200, body: {} }, 'ERR_PROTOCOL'],
    ] as const) {
      const s = await standIn({
        tamper: (route, original) => (route === 'POST /v1/requests/:id/consume' ? reply : original),
      });
      const { marker, exists } = markerPath('consume');
      const result = await client(s.url, s.agentKey).run(touch(marker));
      expect(result.decision.error?.code).toBe(code);
      expect(exists()).toBe(false);
    }
  });

  it('refuses a replayed submit answer, locally and on the server', async () => {
    let recorded: Reply | undefined;
    const s = await standIn({
      tamper: (route, reply) => {
        if (route !== 'POST /v1/requests') return reply;
        recorded ??= reply;
        return recorded;
      },
    });
    const { marker, exists } = markerPath('replay');
    const gh = client(s.url, s.agentKey);
    const command = touch(marker);
    expect((await gh.run(command)).allowed).toBe(true);
    const { rmSync } = await import('node:fs');
    rmSync(marker);
    const again = await gh.run(command);
    expect(again.decision.error?.code).toBe('ERR_VERDICT_REPLAYED');
    expect(again.decision.error?.message).toMatch(/this process/);
    const elsewhere = await client(s.url, s.agentKey).run(command);
    expect(elsewhere.decision.error?.code).toBe('ERR_VERDICT_REPLAYED');
    expect(elsewhere.decision.error?.message).toMatch(/server/);
    expect(exists()).toBe(false);
  });
});

describe('fail closed: the stream is untrusted too', () => {
  it('verifies a verdict pushed over the stream like any other', async () => {
    const s = await standIn({
      outcome: () => 'pending',
      // The long-poll never sees a decision, so only the stream can end the wait.
      tamper: (route, reply) =>
        route === 'GET /v1/requests/:id/verdict' ? { status: 202, body: { status: 'pending' } } : reply,
    });
    const gh = client(s.url, s.agentKey);
    const { marker, exists } = markerPath('stream');
    const pending = gh.run(touch(marker));
    const request = await waitFor(() => [...s.requests.values()][0]);
    await waitFor(() => s.sockets() > 0 || undefined);
    const [header, , signature] = (await s.sign(s.claimsFor(request, 'deny'))).split('.');
    const flipped = `${header}.${b64(s.claimsFor(request, 'allow'))}.${signature}`;
    s.push(
      JSON.stringify({
        type: 'verdict.ready',
        data: { id: request.id, status: 'approved', verdict: flipped },
      }),
    );
    const result = await pending;
    expect(result.decision.error?.code).toBe('ERR_VERDICT_SIGNATURE');
    expect(request.consumed).toBe(false);
    expect(exists()).toBe(false);
  });
});

describe('fail closed: nothing thrown becomes an allow', () => {
  it('refuses at every point a fetch can fail, and allows only when none did', async () => {
    const s = await standIn();
    let calls = 0;
    for (let failAt = 1; ; failAt++) {
      const { marker, exists } = markerPath(`fault${failAt}`);
      calls = 0;
      const faulty = async (input: string | URL, init?: RequestInit) => {
        calls += 1;
        if (calls === failAt) throw new TypeError(`injected failure ${randomUUID()}`);
        return fetch(input, init);
      };
      const result = await client(s.url, s.agentKey, { fetch: faulty, stream: false }).run(touch(marker));
      if (calls < failAt) {
        // The fault was never reached: the run is the untouched control, and it is the only allow.
        expect(result.allowed).toBe(true);
        expect(failAt).toBeGreaterThan(3);
        break;
      }
      if (result.allowed) {
        // Only the result report may fail after the command ran.
        expect(result.reportError?.code).toBe('ERR_NETWORK');
        continue;
      }
      expect(result.decision.error?.code).toMatch(/^ERR_/);
      expect(exists()).toBe(false);
    }
  });

  it('does not let a throwing logger change any outcome', async () => {
    const hostileLogger = {
      debug: () => {
        throw new Error('logger');
      },
      info: () => {
        throw new Error('logger');
      },
      warn: () => Promise.reject(new Error('logger')) as never,
      error: () => {
        throw new Error('logger');
      },
    };
    const s = await standIn({ outcome: (body) => (body.command.includes('deny') ? 'deny' : 'auto') });
    const gh = client(s.url, s.agentKey, { logger: hostileLogger });
    const { marker, exists } = markerPath('logger');
    const denied = await gh.run(`${touch(marker)} # deny`);
    expect(denied.decision).toMatchObject({ allowed: false, status: 'denied' });
    expect(exists()).toBe(false);
    const down = await client(`http://127.0.0.1:${await deadPort()}`, 'k', { logger: hostileLogger }).run(
      touch(marker),
    );
    expect(down.allowed).toBe(false);
    expect(exists()).toBe(false);
    expect((await gh.run(touch(marker))).allowed).toBe(true);
  });

  it('refuses invalid input without contacting the server', async () => {
    const s = await standIn();
    const gh = client(s.url, s.agentKey);
    for (const input of [
      { kind: 'powershell', command: 'ls' },
      { kind: 'shell', command: '' },
      { kind: 'shell', command: 42 },
      { kind: 'shell', command: 'ls', context: { host: 7 } },
      null,
      {
        kind: 'shell',
        get command(): string {
          throw new Error('hostile getter');
        },
      },
    ]) {
      const decision = await gh.authorize(input as never);
      expect(decision.allowed).toBe(false);
      expect(decision.status).toBe('error');
    }
    expect(s.calls).toEqual([]);
  });

  it('refuses once closed, and aborts a wait in flight', async () => {
    const s = await standIn({ outcome: () => 'pending' });
    const gh = client(s.url, s.agentKey);
    const pending = gh.authorize({ kind: 'shell', command: 'ls' });
    await waitFor(() => s.requests.size > 0 || undefined);
    gh.close();
    expect((await pending).error?.code).toBe('ERR_CLOSED');
    expect((await gh.authorize({ kind: 'shell', command: 'ls' })).error?.code).toBe('ERR_CLOSED');

    const controller = new AbortController();
    const second = client(s.url, s.agentKey).authorize({
      kind: 'shell',
      command: 'ls',
      signal: controller.signal,
    });
    await waitFor(() => s.requests.size > 1 || undefined);
    controller.abort();
    expect((await second).error?.code).toBe('ERR_ABORTED');
  });
});

function await_key() {
  return generateVerdictKeyPair();
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
