import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

const COMMAND = 'systemctl restart nginx';
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/**
 * Profiles of our own, so these tests hold whatever the bundled policy's environments do:
 * `lab` boosts the score past multi-party, `vault` floors side effects at review, and the
 * `sandboxed` agent type takes no whitelist entries.
 */
const POLICY = `
version: preview-test
extends: default
thresholds: { review: 25, multi_party: 60, deny: 90 }
environments:
  lab:
    scoreAdd: 20
  vault:
    categoryFloors:
      side_effect: review
agentTypes:
  sandboxed:
    allowWhitelist: false
`;

describe('whitelist preview and scope', () => {
  let gh: TestGatehouse;
  let dir: string;
  let alice: { id: string; token: string };
  let auditor: { id: string; token: string };
  const sessions: Record<string, string> = {};
  const agents: Record<string, { id: string }> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-preview-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    gh = await startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: join(dir, 'policy.yaml') } });
    alice = await gh.createUser('alice@example.com', ['approver']);
    auditor = await gh.createUser('audrey@example.com', ['auditor', 'admin']);
    const make = async (name: string, type: string, environments?: string[]) => {
      const agent = await gh.createAgent({ name, type, ...(environments ? { environments } : {}) });
      agents[name] = agent;
      sessions[name] = await gh.session(agent.key);
    };
    await make('ci-one', 'ci');
    await make('ci-two', 'ci');
    await make('coder', 'coding-agent');
    await make('lab-bot', 'ci', ['lab']);
    await make('vault-bot', 'ci', ['vault']);
    await make('prod-bot', 'ci', ['prod']);
    await make('boxed', 'sandboxed');
  });
  afterAll(async () => {
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = async (agent: string, command = COMMAND, context: Record<string, string> = {}) => {
    const answer = await gh.api('/v1/requests', {
      token: sessions[agent],
      body: { kind: 'shell', command, context },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; status: string; tier: string };
  };
  const preview = (id: string, body: unknown, token = alice.token) =>
    gh.api(`/v1/requests/${id}/whitelist/preview`, { token, body });

  it('shows a pattern that lowers the command to auto for this agent', async () => {
    const r = await submit('ci-one');
    const answer = await preview(r.id, { pattern: COMMAND });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      kind: 'shell',
      scope: 'agent',
      scopeValue: agents['ci-one']?.id,
      environment: null,
      agentType: 'ci',
      before: { tier: 'review', score: 45, whitelistedBy: null },
      after: { tier: 'auto', score: 45, whitelistedBy: 'preview' },
      lowersToAuto: true,
      blockers: [],
    });
    // A preview stores nothing.
    expect((await gh.api('/v1/whitelist', { token: alice.token })).body.items).toEqual([]);
  });

  it('says when an environment floor keeps the command at review', async () => {
    const r = await submit('vault-bot');
    const answer = await preview(r.id, { pattern: COMMAND, scope: 'environment' });
    expect(answer.body).toMatchObject({
      scope: 'environment',
      scopeValue: 'vault',
      before: { tier: 'review' },
      after: { tier: 'review', whitelistedBy: null },
      lowersToAuto: false,
      blockers: [{ kind: 'environment', message: expect.stringMatching(/vault environment keeps/) }],
    });
  });

  it('says when an environment boost raises the command past what a whitelist lowers', async () => {
    const r = await submit('lab-bot');
    const answer = await preview(r.id, { pattern: COMMAND, scope: 'global' });
    expect(answer.body).toMatchObject({
      scope: 'global',
      scopeValue: null,
      before: { tier: 'multi_party', score: 65 },
      after: { tier: 'multi_party', score: 65 },
      lowersToAuto: false,
      blockers: [{ kind: 'environment', message: expect.stringMatching(/65 here, 45 without it/) }],
    });
  });

  it('holds for the bundled production profile too: prod never becomes auto', async () => {
    const r = await submit('prod-bot');
    const answer = await preview(r.id, { pattern: COMMAND, scope: 'agent' });
    expect(answer.body.after.tier).not.toBe('auto');
    expect(answer.body.blockers).toEqual([expect.objectContaining({ kind: 'environment' })]);
  });

  it('names the agent type, a tier above review, and reasons the pattern misses', async () => {
    const boxed = await preview((await submit('boxed')).id, { pattern: COMMAND });
    expect(boxed.body.blockers).toEqual([
      { kind: 'agent_type', message: expect.stringMatching(/agent type sandboxed/) },
    ]);
    const multi = await submit('ci-one', 'rm -rf /var/lib/postgresql');
    expect((await preview(multi.id, { pattern: 'rm -rf /var/lib/postgresql' })).body.blockers).toEqual([
      { kind: 'tier', message: expect.stringMatching(/multi-party on its own/) },
    ]);
    const other = await submit('ci-one', 'systemctl restart api');
    const missed = await preview(other.id, { pattern: { program: ['systemctl'], first: ['stop'] } });
    expect(missed.body).toMatchObject({ after: { tier: 'review' }, lowersToAuto: false });
    expect(missed.body.blockers).toEqual([
      { kind: 'not_covered', message: expect.stringMatching(/shell\.service\.control/) },
    ]);
  });

  it('refuses bad input with a clear 4xx', async () => {
    const r = await submit('coder');
    const cases: [unknown, number, string][] = [
      [{ pattern: COMMAND, scope: 'everyone' }, 400, 'VALIDATION_FAILED'],
      [{ pattern: '' }, 400, 'VALIDATION_FAILED'],
      [{ pattern: '   ' }, 400, 'WHITELIST_INVALID'],
      [{ pattern: { program: 'systemctl', bogus: 1 } }, 400, 'WHITELIST_INVALID'],
      [{ pattern: COMMAND, extra: true }, 400, 'VALIDATION_FAILED'],
      // The request names no environment: there is nothing to scope to.
      [{ pattern: COMMAND, scope: 'environment' }, 400, 'WHITELIST_INVALID'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await preview(r.id, body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status, code });
    }
    const missing = await preview('req_nope', { pattern: COMMAND });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
  });

  it('is for approvers only: auditors, admins and agents are refused', async () => {
    const r = await submit('coder');
    for (const token of [auditor.token, gh.adminToken, sessions.coder]) {
      const answer = await preview(r.id, { pattern: COMMAND }, token);
      expect(answer.status).toBe(403);
    }
  });

  it('saves the scope it previewed: this agent, this agent type, or this environment', async () => {
    const decide = async (agent: string, scope: string, context: Record<string, string> = {}) => {
      const command = `systemctl restart ${scope}-svc`;
      const r = await submit(agent, command, context);
      const decided = await gh.api(`/v1/requests/${r.id}/decisions`, {
        token: alice.token,
        body: {
          decision: 'approve',
          whitelist: { pattern: command, expiresAt: inDays(7), reason: 'routine', scope },
        },
      });
      expect(decided.status).toBe(200);
      return { command, id: decided.body.whitelistId as string };
    };

    const byAgent = await decide('ci-one', 'agent');
    expect((await submit('ci-one', byAgent.command)).tier).toBe('auto');
    expect((await submit('ci-two', byAgent.command)).tier).toBe('review');

    const byType = await decide('ci-one', 'agent_type');
    expect((await submit('ci-two', byType.command)).tier).toBe('auto');
    expect((await submit('coder', byType.command)).tier).toBe('review');

    const byEnvironment = await decide('coder', 'environment', { environment: 'dev' });
    expect((await submit('ci-two', byEnvironment.command, { environment: 'dev' })).tier).toBe('auto');
    expect((await submit('ci-two', byEnvironment.command, { environment: 'qa' })).tier).toBe('review');

    const list = (await gh.api('/v1/whitelist', { token: auditor.token })).body.items as {
      id: string;
      scope: string;
      scopeValue: string | null;
    }[];
    const scopeOf = (id: string) => list.find((entry) => entry.id === id);
    expect(scopeOf(byAgent.id)).toMatchObject({ scope: 'agent', scopeValue: agents['ci-one']?.id });
    expect(scopeOf(byType.id)).toMatchObject({ scope: 'agent_type', scopeValue: 'ci' });
    expect(scopeOf(byEnvironment.id)).toMatchObject({ scope: 'environment', scopeValue: 'dev' });

    // The preview of a saved scope now reads "already auto" for that agent.
    const again = await submit('ci-two', byType.command);
    const previewed = await preview(again.id, { pattern: byType.command, scope: 'agent_type' });
    expect(previewed.body).toMatchObject({ before: { tier: 'auto' }, lowersToAuto: false, blockers: [] });
  });
});
