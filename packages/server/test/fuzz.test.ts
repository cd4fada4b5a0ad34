import { ERRORS, isErrorCode } from '@gatehouse/contract';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  arbitraryOf,
  corrupt,
  fillPath,
  hostileRawBody,
  hostileString,
  hostileValue,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  queryString,
} from '../../../test/support/openapi-fuzz.ts';

/**
 * Every route of the server's own OpenAPI document, driven with inputs derived from its JSON
 * Schemas (valid, corrupted one leaf at a time, and hostile: NUL, lone surrogates, 1 MiB
 * strings, deep nesting, `__proto__`/`constructor` keys, wrong media types), by callers with
 * and without credentials. No answer may be a 5xx or take longer than REQUEST_TIMEOUT_MS;
 * every error is a catalogue code with its status; a caller without credentials gets a 401
 * before anything looks at what it sent; and the audit chain still verifies at the end.
 *
 * A fixed seed keeps failures reproducible; FUZZ_SEED and FUZZ_RUNS explore further.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_117);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 60);
const REQUEST_TIMEOUT_MS = 10_000;

/** Routes that answer without credentials by design (besides those the document marks `security: []`). */
const PUBLIC = new Set(['GET /.well-known/jwks.json', 'GET /v1/audit/keys', 'GET /v1/auth/session']);

type Context = 'none' | 'garbage' | 'admin' | 'agent' | 'approver' | 'agentKey' | 'browser';
const CONTEXTS: readonly Context[] = ['none', 'garbage', 'admin', 'agent', 'approver', 'agentKey', 'browser'];
const ANONYMOUS: readonly Context[] = ['none', 'garbage'];

/** Headers the server reads, with what no browser or client would send. */
const hostileHeaders = fc.record(
  {
    'x-csrf-token': hostileString.filter((s) => s.length < 1024),
    cookie: fc.oneof(
      fc.constant('gh_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      hostileString.filter((s) => s.length < 1024).map((s) => `gh_session=${s}`),
    ),
    origin: fc.constantFrom('http://evil.example', 'null', '\u0000'),
  },
  { requiredKeys: [] },
);

interface Sent {
  context: Context;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

describe('fuzz: every route of the OpenAPI document', () => {
  let gh: TestGatehouse;
  let app: FastifyInstance;
  let operations: Operation[];
  let credentials: Record<Exclude<Context, 'none' | 'browser'>, string>;
  /** A signed-in approver of the web app: the session cookie and its CSRF token. */
  let browser: { cookie: string; csrf: string };
  /** Real ids for path parameters, so that some calls get past "not found". */
  let ids: string[];
  /** The callers each operation lets in: most runs use one of them, to get past the guard. */
  const allowed = new Map<Operation, Context[]>();

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    app = gh.running.app!;
    const approver = await gh.createUser('fuzz-approver@example.com', ['approver']);
    await gh.createUser('fuzz-browser@example.com', ['approver', 'auditor'], 'correct horse battery');
    const login = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'fuzz-browser@example.com', password: 'correct horse battery' },
    });
    const cookie = login.cookies.find((c) => c.name === 'gh_session');
    browser = { cookie: `gh_session=${cookie?.value}`, csrf: login.json().csrfToken };
    const agent = await gh.createAgent({ name: 'fuzz-agent', type: 'ci' });
    const session = await gh.session(agent.key);
    // Things the fuzzer may revoke, disable or decide without losing a caller of its own.
    const spareUser = await gh.createUser('fuzz-spare@example.com', ['approver', 'auditor']);
    const spareAgent = await gh.createAgent({ name: 'fuzz-spare', type: 'ci' });
    const spareSession = await gh.session(spareAgent.key);
    const group = await gh.api('/v1/groups', { token: gh.adminToken, body: { name: 'fuzzers' } });
    const submit = async (token: string, command: string) =>
      (await gh.api('/v1/requests', { token, body: { kind: 'shell', command } })).body.id as string;
    ids = [
      await submit(session, 'ls -la'),
      await submit(session, 'cat /etc/shadow'),
      // Pending requests of the spare agent: the fuzz agent's long-polls on them end at once.
      await submit(spareSession, 'systemctl restart nginx'),
      await submit(spareSession, 'rm -rf /var/lib/postgresql'),
      spareUser.id,
      spareAgent.id,
      group.body.id,
    ];
    credentials = {
      garbage: 'ghu_not-a-token-0000000000000000',
      admin: gh.adminToken,
      agent: session,
      approver: approver.token,
      agentKey: agent.key,
    };
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    // Signing out ends the browser caller: last, so every other route meets it signed in.
    operations = operationsOf(doc).sort(
      (a, b) => Number(a.path === '/v1/auth/logout') - Number(b.path === '/v1/auth/logout'),
    );
    for (const op of operations) {
      const url = op.path.replace(/\{(\w+)\}/g, () => ids[0]!);
      const passes: Context[] = [];
      for (const context of CONTEXTS) {
        const headers = credentialHeaders(context);
        // No body: a caller the guard lets in gets a 400 (or an answer), the others a 401 or 403.
        const response = await app.inject({ method: op.method as 'GET', url, headers });
        if (response.statusCode !== 401 && response.statusCode !== 403) passes.push(context);
      }
      if (passes.length > 0) allowed.set(op, passes);
    }
  }, 60_000);

  afterAll(async () => {
    await gh?.stop();
  });

  function credentialHeaders(context: Context): Record<string, string> {
    if (context === 'none') return {};
    if (context === 'browser') return { cookie: browser.cookie, 'x-csrf-token': browser.csrf };
    return { authorization: `Bearer ${credentials[context]}` };
  }

  function requestOf(op: Operation): fc.Arbitrary<Sent> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const pathValues = fc.record(
      Object.fromEntries(
        pathParams.map((p) => [
          p.name,
          fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...ids) },
            { weight: 2, arbitrary: arbitraryOf(p.schema).map(String) },
            { weight: 2, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 4096) },
          ),
        ]),
      ),
    ) as fc.Arbitrary<Record<string, string>>;
    const validQuery = fc.record(
      Object.fromEntries(queryParams.map((p) => [p.name, arbitraryOf(p.schema)])),
      { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
    );
    const query = fc.oneof(
      { weight: 3, arbitrary: validQuery },
      { weight: 2, arbitrary: validQuery.chain((q) => corrupt(q)) },
      {
        weight: 1,
        arbitrary: fc.dictionary(
          fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), 'x'), hostileString),
          hostileValue,
          { maxKeys: 3 },
        ),
      },
    );
    const body: fc.Arbitrary<{ payload: string; contentType?: string } | undefined> = op.body
      ? fc.oneof(
          { weight: 3, arbitrary: arbitraryOf(op.body).map((v) => ({ payload: JSON.stringify(v) })) },
          {
            weight: 4,
            arbitrary: arbitraryOf(op.body)
              .chain((v) => corrupt(v))
              .map((v) => ({ payload: JSON.stringify(v) ?? 'null' })),
          },
          { weight: 2, arbitrary: hostileRawBody },
        )
      : fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileRawBody });
    const extraHeaders = fc.oneof(
      { weight: 4, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: hostileHeaders },
    );
    const context = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(allowed.get(op) ?? CONTEXTS)) },
      { weight: 2, arbitrary: fc.constantFrom(...CONTEXTS) },
    );
    const authorization = fc.oneof(
      { weight: 9, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: hostileString.filter((s) => s.length < 4096).map((s) => `Bearer ${s}`) },
    );
    return fc
      .record({ context, pathValues, query, body, extraHeaders, authorization })
      .map(({ context, pathValues, query, body, extraHeaders, authorization }) => {
        const headers: Record<string, string> = {
          ...(extraHeaders as Record<string, string>),
          ...credentialHeaders(context),
        };
        // A hostile Authorization header stands in for a missing one: it is no credential.
        if (context === 'none' && authorization) headers.authorization = authorization;
        if (body) headers['content-type'] = body.contentType ?? 'application/json';
        return {
          context,
          url: `${fillPath(op.path, pathValues)}${queryString(query)}`,
          headers,
          ...(body ? { payload: body.payload } : {}),
        };
      });
  }

  async function send(op: Operation, sent: Sent): Promise<LightMyRequestResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
        REQUEST_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([
        app.inject({
          method: op.method as 'GET',
          url: sent.url,
          headers: sent.headers,
          ...(sent.payload === undefined ? {} : { payload: sent.payload }),
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What every answer must satisfy; returns the problem, or undefined. */
  function problemOf(op: Operation, sent: Sent, response: LightMyRequestResponse): string | undefined {
    const status = response.statusCode;
    if (status >= 500) return `answered ${status}: ${response.body.slice(0, 300)}`;
    if (status >= 400) {
      let parsed: { error?: { code?: unknown; message?: unknown } };
      try {
        parsed = response.json();
      } catch {
        return `error ${status} is not JSON: ${response.body.slice(0, 200)}`;
      }
      const code = parsed.error?.code;
      if (!isErrorCode(code) || typeof parsed.error?.message !== 'string')
        return `error ${status} outside the catalogue shape: ${response.body.slice(0, 200)}`;
      if (ERRORS[code].status !== status)
        return `${code} answered ${status}, the catalogue says ${ERRORS[code].status}`;
      const route = `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`;
      const open = op.open || PUBLIC.has(`${op.method} ${op.path}`);
      if (!open && ANONYMOUS.includes(sent.context) && status !== 401) {
        // Only a path that cannot be decoded at all is refused before its route is known.
        const undecodable = sent.url
          .split('?')[0]!
          .split('/')
          .some((segment) => {
            try {
              decodeURIComponent(segment);
              return false;
            } catch {
              return true;
            }
          });
        if (!(undecodable && code === 'BAD_REQUEST'))
          return `${route} without credentials answered ${status} ${code} before 401`;
      }
    }
    return undefined;
  }

  it('answers every generated request without a 5xx or a hang, in the catalogue, 401 first', async () => {
    const problems: string[] = [];
    const started = performance.now();
    let sentCount = 0;
    /** Answers by route and status class: how deep the inputs got (FUZZ_STATS=1 prints them). */
    const reached = new Map<string, Record<string, number>>();
    for (const op of operations) {
      const tally: Record<string, number> = {};
      reached.set(`${op.method} ${op.path}`, tally);
      const result = await fc.check(
        fc.asyncProperty(requestOf(op), async (sent) => {
          sentCount++;
          const response = await send(op, sent);
          const key =
            response.statusCode < 400
              ? String(response.statusCode)
              : (response.json()?.error?.code ?? response.statusCode);
          tally[key] = (tally[key] ?? 0) + 1;
          const problem = problemOf(op, sent, response);
          if (problem) throw new Error(problem);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      if (result.failed) {
        const example = result.counterexample?.[0] as Sent | undefined;
        const shown = example
          ? JSON.stringify({ ...example, payload: example.payload?.slice(0, 200) }).slice(0, 600)
          : '';
        problems.push(`${op.method} ${op.path}: ${(result.errorInstance as Error)?.message} — sent ${shown}`);
      }
    }
    console.log(
      `fuzz: ${operations.length} operations, ${sentCount} requests in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED})`,
    );
    if (process.env.FUZZ_STATS)
      for (const [route, tally] of reached) console.log(route, JSON.stringify(tally));
    expect(problems).toEqual([]);
  }, 300_000);

  it('covers every operation the server documents', () => {
    // The walk is only as good as the document: every API route is in it.
    const routes = new Set(operations.map((op) => `${op.method} ${op.path}`));
    for (const route of ['POST /v1/requests', 'POST /v1/agents', 'POST /v1/users', 'POST /v1/groups'])
      expect(routes).toContain(route);
    expect(operations.length).toBeGreaterThan(30);
  });

  it('leaves an audit chain that still verifies', async () => {
    const verify = await gh.api('/v1/audit/verify', { token: gh.adminToken, body: {} });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
  });
});
