import { insertRows, schema } from '@gatehouse/db';
import { readDefaultPolicyText } from '@gatehouse/risk';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DESTROY_POLICY, startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';

// A generated history whose backtest answer is known by construction. Every row carries the
// tier the default policy gives it (the identity backtest checks that), so a candidate that
// only makes `terraform destroy` a deny must move exactly the destroys, multi_party → deny.
//
//   in the 30-day window, 2 agents × 3 environments, 5,400 requests:
//     git status, kubectl get pods, SELECT … WHERE id = 1       auto
//     DELETE FROM sessions (sql)                                 multi_party
//     terraform destroy -target=module.<n>                       multi_party  (DESTROYS of them)
//     terraform apply -target=module.web, dev only               auto, because a live whitelist
//                                                                entry in the database covers it
//   40 days ago: 300 more destroys, outside the window.
// Several requests share a millisecond, told apart by microseconds: the keyset must neither
// skip nor repeat them across pages.

const DAY = 86_400_000;
const NOW = Date.now();
const IN_WINDOW = 5_400;
const WL_COMMAND = 'terraform apply -target=module.web';
const WL_RETIRED = 'terraform apply -target=module.api';

const CANDIDATE = NO_DESTROY_POLICY;

interface Line {
  type: string;
  [key: string]: any;
}

describe('policy backtest over a generated history', () => {
  let gh: TestGatehouse;
  let auditor: { id: string; token: string };
  let approver: { id: string; token: string };
  let agentSession: string;
  let destroys = 0;
  let whitelisted = 0;
  let retiring = 0;
  const tiers = { auto: 0, review: 0, multi_party: 0, deny: 0 };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    auditor = await gh.createUser('security@example.com', ['auditor']);
    approver = await gh.createUser('oncall@example.com', ['approver']);
    const agents = [
      { ...(await gh.createAgent({ name: 'ci-1', type: 'ci' })) },
      { ...(await gh.createAgent({ name: 'coder-1', type: 'coding-agent' })) },
    ];
    agentSession = await gh.session(agents[0]!.key);
    const db = gh.running.runtime.database.db;
    await db.insert(schema.whitelistEntries).values(
      [
        ['wl_backtest_apply', WL_COMMAND],
        ['wl_backtest_api', WL_RETIRED],
      ].map(([id, command]) => ({
        id: id!,
        kind: 'shell' as const,
        command: command!,
        reason: 'the module is applied by the release train',
        createdBy: auditor.id,
        expiresAt: new Date(NOW + 30 * DAY),
        scope: 'global' as const,
      })),
    );

    const rows: Record<string, unknown>[] = [];
    const envs = ['dev', 'staging', 'prod'];
    const start = NOW - 29 * DAY;
    for (let i = 0; i < IN_WINDOW; i++) {
      const agent = agents[i % 2]!;
      const environment = envs[Math.floor(i / 9) % 3]!;
      let kind = 'shell';
      let command: string;
      let tier: keyof typeof tiers;
      let dialect: string | null = null;
      let whitelistedBy: string | null = null;
      switch (i % 9) {
        case 0:
        case 1:
          command = `terraform destroy -target=module.m${i % 5}`;
          tier = 'multi_party';
          destroys++;
          break;
        case 2:
          kind = 'sql';
          dialect = 'postgresql';
          command = 'DELETE FROM sessions';
          tier = 'multi_party';
          break;
        case 3:
          kind = 'sql';
          dialect = 'postgresql';
          command = 'SELECT id FROM users WHERE id = 1';
          tier = 'auto';
          break;
        case 4:
          command = 'kubectl get pods';
          tier = 'auto';
          break;
        case 5:
          if (environment === 'dev') {
            command = WL_COMMAND;
            tier = 'auto';
            whitelistedBy = 'wl_backtest_apply';
            whitelisted++;
            break;
          }
          command = 'git status';
          tier = 'auto';
          break;
        case 6:
          if (environment === 'dev') {
            command = WL_RETIRED;
            tier = 'auto';
            whitelistedBy = 'wl_backtest_api';
            retiring++;
            break;
          }
          command = 'git status';
          tier = 'auto';
          break;
        default:
          command = 'git status';
          tier = 'auto';
      }
      tiers[tier]++;
      // Groups of three share a millisecond; microseconds keep them apart.
      const ms = start + Math.floor(i / 3) * 1_000;
      const iso = new Date(ms).toISOString().replace('Z', `${String((i % 3) * 7).padStart(3, '0')}Z`);
      rows.push(
        request(
          `req_bt${String(i).padStart(6, '0')}`,
          agent.id,
          kind,
          dialect,
          command,
          environment,
          tier,
          whitelistedBy,
          iso,
        ),
      );
    }
    for (let i = 0; i < 300; i++) {
      const iso = new Date(NOW - 40 * DAY + i * 1_000).toISOString();
      rows.push(
        request(
          `req_old${i}`,
          agents[0]!.id,
          'shell',
          null,
          'terraform destroy',
          'dev',
          'multi_party',
          null,
          iso,
        ),
      );
    }
    for (let i = 0; i < rows.length; i += 2_000)
      await db.execute(insertRows([{ table: schema.requests, rows: rows.slice(i, i + 2_000) }]));
  }, 120_000);
  afterAll(async () => gh?.stop());

  function request(
    id: string,
    agentId: string,
    kind: string,
    dialect: string | null,
    command: string,
    environment: string,
    tier: string,
    whitelistedBy: string | null,
    createdAt: string,
  ) {
    return {
      id,
      agentId,
      sessionId: 'ses_gen',
      kind,
      dialect,
      command,
      context: { environment },
      cmdHash: `h_${id}`,
      score: tier === 'auto' ? 5 : 70,
      tier,
      reasons: [],
      commands: [],
      policyVersion: 'gen',
      whitelistedBy,
      status: tier === 'auto' ? 'auto_approved' : 'approved',
      requiredApprovals: tier === 'multi_party' ? 2 : 0,
      createdAt,
      decidedAt: createdAt,
    };
  }

  async function backtest(body: unknown, token = auditor.token) {
    const response = await fetch(new URL('/v1/backtests', gh.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const lines: Line[] = type.startsWith('application/x-ndjson')
      ? text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
    return {
      status: response.status,
      type,
      lines,
      body: type.startsWith('application/json') ? JSON.parse(text) : text,
    };
  }

  const events = () =>
    gh.running.runtime.database.db
      .select()
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.type, 'policy.backtested'))
      .orderBy(asc(schema.auditEvents.id));

  it('the default policy, with the live whitelist, moves nothing: the history is what it gives', async () => {
    expect(whitelisted).toBeGreaterThan(100);
    const r = await backtest({ policy: await readDefaultPolicyText(), since: '30d' });
    expect(r.status).toBe(200);
    const result = r.lines.at(-1)!;
    expect(result.type).toBe('result');
    expect(result.total).toBe(IN_WINDOW);
    expect(result.moved).toBe(0);
    expect(result.moves).toEqual([]);
    expect(result.current.tiers).toEqual(tiers);
    expect(result.candidate).toEqual(result.current);
  });

  it('a candidate that denies terraform destroy moves exactly the seeded destroys, and streams progress', async () => {
    const r = await backtest({ policy: CANDIDATE, since: '30d' });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/x-ndjson/);
    const progress = r.lines.filter((l) => l.type === 'progress');
    const result = r.lines.at(-1)!;
    expect(result.type).toBe('result');
    // One line before the first page, then one per page of 1,000.
    expect(progress[0]).toEqual({ type: 'progress', done: 0, total: IN_WINDOW });
    expect(progress.length).toBe(1 + Math.ceil(IN_WINDOW / 1_000));
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.done).toBeGreaterThan(progress[i - 1]!.done);
    expect(progress.at(-1)).toEqual({ type: 'progress', done: IN_WINDOW, total: IN_WINDOW });

    expect(result.total).toBe(IN_WINDOW);
    expect(result.moved).toBe(destroys);
    expect(result.errors).toBe(0);
    expect(result.policyVersion).toMatch(/^no-destroy\b/);
    expect(result.moves).toHaveLength(1);
    const [move] = result.moves;
    expect(move).toMatchObject({ from: 'multi_party', to: 'deny', count: destroys, direction: 'stricter' });
    expect(move.examples).toHaveLength(5);
    for (const e of move.examples) {
      expect(e.command).toMatch(/^terraform destroy -target=module\.m\d$/);
      expect(e.rules).toContain('shell.terraform.destroy');
    }
    // The examples are the newest destroys of the window.
    const times = move.examples.map((e: any) => e.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(result.matrix.multi_party.deny).toBe(destroys);
    expect(result.candidate.tiers).toEqual({
      ...tiers,
      multi_party: tiers.multi_party - destroys,
      deny: tiers.deny + destroys,
    });
    expect(result.current.autoApprovalRate).toBeCloseTo(tiers.auto / IN_WINDOW, 12);
    expect(result.candidate.autoApprovalRate).toBeCloseTo(tiers.auto / IN_WINDOW, 12);
  });

  it('records policy.backtested with the hash and the counts, never the policy text or a command', async () => {
    const [, second] = await events();
    expect(second).toBeDefined();
    expect(second!.actorId).toBe(auditor.id);
    const data = second!.data as Record<string, any>;
    expect(data).toMatchObject({
      complete: true,
      total: IN_WINDOW,
      moved: destroys,
    });
    expect(data.policyVersion).toMatch(/^no-destroy\b/);
    expect(data.policyHash).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify(data);
    expect(stored).not.toContain('Destroys infrastructure');
    expect(stored).not.toContain('terraform');
  });

  it('applies review governance as the server does: a retired entry no longer lowers anything', async () => {
    await query(
      gh.database.url,
      `insert into whitelist_reviews (entry_id, source, retired_at, retired_by) values ('wl_backtest_api', 'added', now(), $1)`,
      [auditor.id],
    );
    const r = await backtest({ policy: await readDefaultPolicyText(), since: '30d' });
    const result = r.lines.at(-1)!;
    expect(retiring).toBeGreaterThan(100);
    expect(result.moves).toEqual([
      expect.objectContaining({ from: 'auto', to: 'review', count: retiring, direction: 'stricter' }),
    ]);
    for (const e of result.moves[0].examples) expect(e.command).toBe(WL_RETIRED);
  });

  it('scores with the live whitelist: once the entry is revoked, its requests move back to review', async () => {
    await query(
      gh.database.url,
      `update whitelist_entries set revoked_at = now() where id = 'wl_backtest_apply'`,
    );
    const r = await backtest({ policy: await readDefaultPolicyText(), since: '30d' });
    const result = r.lines.at(-1)!;
    expect(result.moves).toHaveLength(1);
    expect(result.moves[0]).toMatchObject({
      from: 'auto',
      to: 'review',
      count: whitelisted + retiring,
      direction: 'stricter',
    });
    expect(result.candidate.autoApprovalRate).toBeCloseTo(
      (tiers.auto - whitelisted - retiring) / IN_WINDOW,
      12,
    );
  });

  it('looks back 30 days when no window is named', async () => {
    const r = await backtest({ policy: CANDIDATE });
    expect(r.status).toBe(200);
    const result = r.lines.at(-1)!;
    expect(result.total).toBe(IN_WINDOW);
    expect(Date.parse(result.until) - Date.parse(result.since)).toBe(30 * DAY);
  });

  it('a since instant widens the window to the older history', async () => {
    const r = await backtest({ policy: CANDIDATE, since: new Date(NOW - 45 * DAY).toISOString() });
    const result = r.lines.at(-1)!;
    expect(result.total).toBe(IN_WINDOW + 300);
    expect(result.matrix.multi_party.deny).toBe(destroys + 300);
  });

  it('refuses an invalid policy with the line and column, before streaming', async () => {
    const r = await backtest({
      policy: 'version: "1"\nextends: default\nthresholds:\n  review: high\n',
      since: '30d',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('POLICY_INVALID');
    expect(r.body.error.message).toMatch(/line 4, column \d+/);
    const syntax = await backtest({ policy: 'version: [\n', since: '30d' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.code).toBe('POLICY_INVALID');
    expect(syntax.body.error.message).toMatch(/line \d+/);
  });

  it('refuses an oversized policy with 413, and a bad window with 400', async () => {
    const huge = `version: big\nextends: default\n# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const r = await backtest({ policy: huge, since: '30d' });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('POLICY_TOO_LARGE');
    const future = await backtest({ policy: CANDIDATE, since: new Date(NOW + DAY).toISOString() });
    expect(future.status).toBe(400);
    expect(future.body.error.code).toBe('BACKTEST_SINCE_INVALID');
    const bad = await backtest({ policy: CANDIDATE, since: 'last week' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('is for auditors and admins only: approvers and agents get 403, strangers 401', async () => {
    const body = { policy: CANDIDATE, since: '1d' };
    expect((await backtest(body, approver.token)).status).toBe(403);
    expect((await backtest(body, agentSession)).status).toBe(403);
    expect((await backtest(body, 'not-a-token')).status).toBe(401);
    const admin = await backtest(body, gh.adminToken);
    expect(admin.status).toBe(200);
    expect(admin.lines.at(-1)!.type).toBe('result');
    // Refused calls ran nothing and recorded nothing.
    expect((await events()).length).toBe(7);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await gh.api('/docs/json');
    const op = doc.body?.paths?.['/v1/backtests']?.post;
    expect(op).toBeDefined();
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/x-ndjson']);
    expect(op.requestBody.content['application/json'].schema.properties.policy).toBeDefined();
  });
});
