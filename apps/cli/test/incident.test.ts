import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { spawnNode } from '../../../test/support/processes.ts';

describe('incident response commands', () => {
  let gh: TestGatehouse;
  const masterKey = `incident-master-key-${Date.now()}-0123456789abcdef`;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false, masterKey });
  });
  afterAll(async () => gh?.stop());

  const cli = async (args: string[], env: Record<string, string> = {}) => {
    const child = spawnNode('apps/cli/src/main.ts', args, env);
    return { code: await child.exited, output: child.output() };
  };

  it('agents revoke cuts an agent off and cancels its pending requests', async () => {
    const agent = await gh.createAgent({ name: 'rogue' });
    const session = await gh.session(agent.key);
    const allowed = await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: 'ls' } });
    const pending = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    const result = await cli(['agents', 'revoke', agent.id], {
      GATEHOUSE_URL: gh.url,
      GATEHOUSE_ADMIN_TOKEN: gh.adminToken,
    });
    expect(result.code).toBe(0);
    expect(result.output).toContain(
      `revoked ${agent.id}; 1 pending request(s) cancelled: ${pending.body.id}`,
    );
    // Its unexpired allow verdict is refused at consumption, and nothing new gets in.
    expect(
      (await gh.api(`/v1/requests/${allowed.body.id}/consume`, { token: session, body: {} })).status,
    ).toBe(401);
    expect((await gh.api('/v1/sessions', { token: agent.key, body: {} })).status).toBe(401);
    const unknown = await cli(['agents', 'revoke', 'agt_nobody'], {
      GATEHOUSE_URL: gh.url,
      GATEHOUSE_ADMIN_TOKEN: gh.adminToken,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/revocation refused \(404\)/);
  });

  it('incident export bundles the agent’s record with a verifying audit slice', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const approver = await gh.createUser('oncall@example.com', ['approver']);
    const agent = await gh.createAgent({ name: 'suspect' });
    const session = await gh.session(agent.key);
    const auto = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'cat report.txt' },
    });
    await gh.api(`/v1/requests/${auto.body.id}/consume`, { token: session, body: {} });
    await gh.api(`/v1/requests/${auto.body.id}/result`, {
      token: session,
      body: {
        exitCode: 0,
        durationMs: 4,
        output: { chunks: [{ t: 0, stream: 'stdout', data: 'done' }], truncated: false },
      },
    });
    const review = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    await gh.api(`/v1/requests/${review.body.id}/decisions`, {
      token: approver.token,
      body: { decision: 'reject', comment: 'no' },
    });
    await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} });

    const out = join(mkdtempSync(join(tmpdir(), 'gh-incident-')), 'bundle');
    const env = {
      DATABASE_URL: gh.database.url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-d-')),
    };
    const result = await cli(
      ['incident', 'export', '--agent', agent.id, '--since', since, '--out', out],
      env,
    );
    expect(result.output).toMatch(/audit slice verifies/);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining([
        'agent.jsonl',
        'requests.jsonl',
        'decisions.jsonl',
        'executions.jsonl',
        'recordings.jsonl',
        'audit.jsonl',
      ]),
    );
    const requests = readFileSync(join(out, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(requests.map((r) => r.status).sort()).toEqual(['auto_approved', 'rejected']);
    expect(requests.every((r) => typeof r.verdict === 'string')).toBe(true);
    expect(readFileSync(join(out, 'agent.jsonl'), 'utf8')).not.toContain('keyHash');
    const offline = await cli(['audit', 'verify', '--file', join(out, 'audit.jsonl')], env);
    expect(offline.code).toBe(0);

    // An unknown agent is a usage error, as it is through the API.
    const unknown = await cli(
      ['incident', 'export', '--agent', 'agt_nobody', '--since', since, '--out', out],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/gatehouse: no agent agt_nobody\n$/);
  });
});
