import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshWhitelistHits, WHITELIST_RELOAD_MS } from '@gatehouse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';

/**
 * Whitelist governance on two API replicas over one PostgreSQL and Redis: an entry past its
 * review date plus grace stops applying on both (even with no event, from the database and
 * the clock), a retirement applies on both at once, and a policy-file entry stays retired
 * across a restart although the policy file still lists it.
 */

const NGINX = 'systemctl restart nginx';
const API = 'systemctl restart api';
const CRON = 'systemctl restart cron';
const POLICY = `extends: default
version: review-test
whitelist:
  - id: review.restart-nginx
    command: ${NGINX}
    expires: 2099-12-31
    reason: nginx restarts are routine
  - id: review.restart-api
    command: ${API}
    agentTypes: [ops]
    expires: 2099-12-31
    reason: api restarts are routine for ops bots
`;
const DAY = 86_400_000;

describe('whitelist review across two replicas', () => {
  let database: TestDatabase;
  let dir: string;
  let a: TestGatehouse;
  let b: TestGatehouse;
  let env: Record<string, string>;
  const secrets = {
    adminToken: `test-admin-${randomBytes(12).toString('hex')}`,
    masterKey: `test-master-key-${randomBytes(12).toString('hex')}`,
  };
  let sessionA: string;
  let sessionB: string;
  let agentId: string;
  let approver: { id: string; token: string };
  let auditor: { id: string; token: string };
  let readOnly: { id: string; token: string };

  const start = () =>
    startGatehouse({ database, env, redisPrefix: `gh-review-${database.name}`, ...secrets });

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'gh-review-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    env = { GATEHOUSE_POLICY_FILE: join(dir, 'policy.yaml') };
    a = await start();
    b = await start();
    approver = await a.createUser('approver@example.com', ['approver']);
    auditor = await a.createUser('auditor@example.com', ['auditor']);
    readOnly = await a.createUser('reader@example.com', ['approver']);
    const agent = await a.createAgent({ name: 'ops-bot', type: 'ops' });
    agentId = agent.id;
    sessionA = await a.session(agent.key);
    sessionB = await b.session(agent.key);
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const submit = async (gh: TestGatehouse, session: string, command: string) => {
    const r = await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    expect(r.status).toBe(201);
    return r.body as { id: string; tier: string; status: string };
  };
  const tierOn = async (command: string) => [
    (await submit(a, sessionA, command)).tier,
    (await submit(b, sessionB, command)).tier,
  ];
  /** Polls both replicas until `command` scores `tier` on each, or the deadline passes. */
  const waitForTier = async (command: string, tier: string, withinMs: number) => {
    const started = Date.now();
    let tiers: string[] = [];
    while (Date.now() - started < withinMs) {
      tiers = await tierOn(command);
      if (tiers.every((t) => t === tier)) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${command} still scored ${tiers.join('/')} after ${withinMs} ms`);
  };
  const governance = async (gh: TestGatehouse, token: string) => {
    const r = await gh.api('/v1/whitelist/governance', { token });
    expect(r.status).toBe(200);
    return r.body as { items: any[]; settings: any; hitsUpdatedAt: string | null };
  };
  const entry = async (id: string) => (await governance(a, auditor.token)).items.find((e) => e.id === id);

  it('lists policy-file entries with their reach, default review dates and no hits yet', async () => {
    const { items, settings } = await governance(b, readOnly.token);
    expect(settings).toEqual({ intervalDays: 90, graceDays: 14, dueWithinDays: 14 });
    const nginx = items.find((e) => e.id === 'review.restart-nginx');
    expect(nginx).toMatchObject({
      source: 'policy',
      command: NGINX,
      lowers: { from: 'review', to: 'auto' },
      blastRadius: 'wide',
      author: null,
      reason: 'nginx restarts are routine',
      active: true,
      hits: { count: 0, lastHitAt: null, agents: [], agentTypes: [] },
      review: { state: 'current', due: false, history: [] },
    });
    expect(Date.parse(nginx.review.nextReviewAt) - Date.parse(nginx.createdAt)).toBe(90 * DAY);
    expect(Date.parse(nginx.review.lapsesAt) - Date.parse(nginx.review.nextReviewAt)).toBe(14 * DAY);
    // The engine holds the lapse as the entry's end: exact at any instant, without a reload.
    for (const gh of [a, b]) {
      const at = (days: number) =>
        gh.running.runtime.risk.assess({
          kind: 'shell',
          command: NGINX,
          context: { now: new Date(Date.now() + days * DAY) },
        });
      expect(at(103)).toMatchObject({ tier: 'auto', whitelistedBy: 'review.restart-nginx' });
      expect(at(105).tier).toBe('review');
    }
    expect(items.find((e) => e.id === 'review.restart-api')).toMatchObject({
      agentTypes: ['ops'],
      blastRadius: 'moderate',
    });
  });

  it('counts hits per entry with the agents and agent types that used it', async () => {
    expect(await tierOn(NGINX)).toEqual(['auto', 'auto']);
    expect(await tierOn(API)).toEqual(['auto', 'auto']);
    await refreshWhitelistHits(a.running.runtime.database.db);
    const { items, hitsUpdatedAt } = await governance(a, auditor.token);
    expect(hitsUpdatedAt).not.toBeNull();
    const nginx = items.find((e) => e.id === 'review.restart-nginx');
    expect(nginx.hits).toMatchObject({
      count: 2,
      agents: [{ id: agentId, name: 'ops-bot', count: 2 }],
      agentTypes: ['ops'],
    });
    expect(Date.now() - Date.parse(nginx.hits.lastHitAt)).toBeLessThan(60_000);
    // A second round over the same days counts nothing twice.
    await refreshWhitelistHits(b.running.runtime.database.db);
    expect((await entry('review.restart-nginx')).hits.count).toBe(2);
  });

  it('keeps agents out and approvers read-only', async () => {
    expect((await a.api('/v1/whitelist/governance', { token: sessionA })).status).toBe(403);
    expect((await a.api('/v1/whitelist/review', { token: sessionA })).status).toBe(403);
    const renew = await b.api('/v1/whitelist/review.restart-nginx/renew', {
      token: readOnly.token,
      body: { nextReviewAt: new Date(Date.now() + 30 * DAY).toISOString(), comment: 'fine' },
    });
    expect(renew.status).toBe(403);
    const retire = await b.api('/v1/whitelist/review.restart-nginx/retire', {
      token: sessionB,
      body: { comment: 'no' },
    });
    expect(retire.status).toBe(403);
    expect((await a.api('/v1/whitelist/review', { token: readOnly.token })).status).toBe(200);
  });

  it('a policy-file entry past review + grace stops applying on both replicas, with no event', async () => {
    // As if 105 days passed since the server first saw it: the default review (90) plus grace (14) are behind it.
    await query(
      database.url,
      `update whitelist_reviews set first_seen_at = now() - interval '105 days' where entry_id = $1`,
      ['review.restart-nginx'],
    );
    const took = await waitForTier(NGINX, 'review', WHITELIST_RELOAD_MS + 4_000);
    expect(took).toBeLessThan(WHITELIST_RELOAD_MS + 4_000);
    const nginx = await entry('review.restart-nginx');
    expect(nginx).toMatchObject({ active: false, review: { state: 'lapsed', due: true } });
    const queue = (await a.api('/v1/whitelist/review', { token: auditor.token })).body.items.map(
      (e: any) => e.id,
    );
    expect(queue).toContain('review.restart-nginx');
    expect(queue).not.toContain('review.restart-api');
  });

  it('an added entry in its grace period still applies; past it, it stops on both', async () => {
    const pending = await submit(a, sessionA, CRON);
    expect(pending.status).toBe('pending');
    const decided = await b.api(`/v1/requests/${pending.id}/decisions`, {
      token: approver.token,
      body: {
        decision: 'approve',
        whitelist: {
          pattern: CRON,
          expiresAt: new Date(Date.now() + 300 * DAY).toISOString(),
          reason: 'cron',
        },
      },
    });
    expect(decided.status).toBe(200);
    const id = decided.body.whitelistId as string;
    await waitForTier(CRON, 'auto', 3_000);
    await query(
      database.url,
      `update whitelist_entries set created_at = now() - interval '95 days' where id = $1`,
      [id],
    );
    // Overdue, within the grace: it still applies (after the reload that sees the new date).
    await new Promise((r) => setTimeout(r, WHITELIST_RELOAD_MS + 500));
    expect(await tierOn(CRON)).toEqual(['auto', 'auto']);
    expect((await entry(id)).review).toMatchObject({ state: 'overdue', due: true });
    await query(
      database.url,
      `update whitelist_entries set created_at = now() - interval '105 days' where id = $1`,
      [id],
    );
    await waitForTier(CRON, 'review', WHITELIST_RELOAD_MS + 4_000);
    expect(await entry(id)).toMatchObject({
      source: 'added',
      author: { id: approver.id, email: 'approver@example.com' },
      agents: [agentId],
      blastRadius: 'narrow',
      active: false,
      review: { state: 'lapsed' },
    });
  });

  it('a renewal revives a lapsed entry on both replicas, audited, with its history', async () => {
    const nextReviewAt = new Date(Date.now() + 60 * DAY).toISOString();
    const past = await a.api('/v1/whitelist/review.restart-nginx/renew', {
      token: auditor.token,
      body: { nextReviewAt: new Date(Date.now() - DAY).toISOString(), comment: 'checked' },
    });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('WHITELIST_REVIEW_INVALID');
    const blank = await a.api('/v1/whitelist/review.restart-nginx/renew', {
      token: auditor.token,
      body: { nextReviewAt, comment: '   ' },
    });
    expect(blank.body.error.code).toBe('WHITELIST_REVIEW_INVALID');
    const unknown = await a.api('/v1/whitelist/nope/renew', {
      token: auditor.token,
      body: { nextReviewAt, comment: 'x' },
    });
    expect(unknown.status).toBe(404);

    const renewed = await a.api('/v1/whitelist/review.restart-nginx/renew', {
      token: auditor.token,
      body: { nextReviewAt, comment: 'still used by the deploy bot' },
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ id: 'review.restart-nginx', action: 'renew', nextReviewAt });
    const took = await waitForTier(NGINX, 'auto', WHITELIST_RELOAD_MS);
    expect(took).toBeLessThan(WHITELIST_RELOAD_MS);
    expect(await entry('review.restart-nginx')).toMatchObject({
      active: true,
      review: {
        state: 'current',
        nextReviewAt,
        history: [
          {
            action: 'renew',
            by: { id: auditor.id, email: 'auditor@example.com' },
            comment: 'still used by the deploy bot',
            nextReviewAt,
          },
        ],
      },
    });
    const audit = await query<{ type: string; actor_id: string; data: any }>(
      database.url,
      `select type, actor_id, data from audit_events where subject_id = $1 and type like 'whitelist.%'`,
      ['review.restart-nginx'],
    );
    expect(audit).toEqual([
      {
        type: 'whitelist.renewed',
        actor_id: auditor.id,
        data: expect.objectContaining({ source: 'policy', nextReviewAt, previousState: 'lapsed' }),
      },
    ]);
  });

  it('a retirement applies on both replicas at once and survives a restart with the same policy file', async () => {
    expect(await tierOn(API)).toEqual(['auto', 'auto']);
    const retired = await b.api('/v1/whitelist/review.restart-api/retire', {
      token: auditor.token,
      body: { comment: 'the api restarts through the deploy pipeline now' },
    });
    expect(retired.status).toBe(200);
    // Inside the reload period: the bus event carried it to A (B applied it before answering).
    const took = await waitForTier(API, 'review', WHITELIST_RELOAD_MS - 1_000);
    expect(took).toBeLessThan(WHITELIST_RELOAD_MS - 1_000);
    const again = await a.api('/v1/whitelist/review.restart-api/retire', {
      token: auditor.token,
      body: { comment: 'x' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('WHITELIST_RETIRED');
    const renew = await a.api('/v1/whitelist/review.restart-api/renew', {
      token: auditor.token,
      body: { nextReviewAt: new Date(Date.now() + DAY).toISOString(), comment: 'x' },
    });
    expect(renew.body.error.code).toBe('WHITELIST_RETIRED');
    const types = await query<{ type: string }>(
      database.url,
      `select type from audit_events where subject_id = $1 and type like 'whitelist.%'`,
      ['review.restart-api'],
    );
    expect(types.map((t) => t.type)).toEqual(['whitelist.retired']);

    await b.stop();
    b = await start();
    sessionB = await b.session((await a.createAgent({ name: 'ops-bot-2', type: 'ops' })).key);
    expect((await submit(b, sessionB, API)).tier).toBe('review');
    expect(await entry('review.restart-api')).toMatchObject({ active: false, review: { state: 'retired' } });
  });
});
