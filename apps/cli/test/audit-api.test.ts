import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { runCli } from './fixtures/cli.ts';

/**
 * `gatehouse audit` and `gatehouse incident` through a running server's API, as an auditor
 * without database access uses them (the embedded case is in test/e2e/embedded.test.ts).
 */
describe('audit and incident commands through the API', () => {
  let gh: TestGatehouse;
  let auditor: { token: string };
  let agent: { id: string; key: string };
  const since = new Date(Date.now() - 60_000).toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'gh-audit-api-'));

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    agent = await gh.createAgent({ name: 'watched' });
    const session = await gh.session(agent.key);
    for (const command of ['ls', 'git status', 'systemctl restart nginx'])
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} });
  });
  afterAll(async () => gh?.stop());

  // No database settings at all: only the API can answer.
  const cli = (args: string[], token = auditor.token) =>
    runCli([...args, '--url', gh.url, '--token', token], {
      env: { DATABASE_URL: '', GATEHOUSE_DATA_DIR: join(dir, 'no-data-here') },
    });

  it('audit verify prints the same report and exit code as against the database', async () => {
    const result = await cli(['audit', 'verify']);
    expect(result.stderr).toContain(`asking the Gatehouse API at ${gh.url}`);
    expect(result.stdout).toMatch(
      // The server's witness file vouches for the checkpoint too; the head is what --expect-head takes.
      /^\d+ events in \d+ chains, 1 checkpoints; \d+ events vouched for by a signed checkpoint\nwitness \S+: 1 entries, newest checkpoint 1, last at \S+\nOK: every chain links and every checkpoint verifies\nhead: 1:[0-9a-f]{64}\n$/,
    );
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, 'no-data-here'))).toBe(false);
  });

  it('audit export writes a slice that verifies offline', async () => {
    const toStdout = await cli(['audit', 'export', '--since', since, '--agent', agent.id]);
    expect(toStdout.code).toBe(0);
    const lines = toStdout.stdout.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'header', filter: { agentId: agent.id, since } });
    const selected = lines.filter((l) => JSON.parse(l).selected === true).length;
    expect(toStdout.stderr).toMatch(
      new RegExp(`exported ${selected} matching events with \\d+ events of context\\n$`),
    );

    const file = join(dir, 'slice.jsonl');
    const toFile = await cli(['audit', 'export', '--since', since, '--agent', agent.id, '--out', file]);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(readFileSync(file, 'utf8').split('\n').length).toBe(lines.length + 1);
    const offline = await runCli(['audit', 'verify', '--file', file]);
    expect(offline.stdout).toMatch(/OK: every chain links and every checkpoint verifies/);
    expect(offline.code).toBe(0);
  });

  it('incident export writes the bundle and prints the same summary', async () => {
    const out = join(dir, 'bundle');
    const result = await cli(['incident', 'export', '--agent', agent.id, '--since', since, '--out', out]);
    expect(result.stdout).toMatch(
      new RegExp(
        `^incident bundle in ${out}: agent\\.jsonl \\(1\\), requests\\.jsonl \\(3\\), .*; audit slice verifies\\n$`,
      ),
    );
    expect(result.stderr).toContain('wrote manifest.json');
    expect(result.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'gatehouse.incident', agent: agent.id, audit: { ok: true } });
    const requests = readFileSync(join(out, 'requests.jsonl'), 'utf8');
    expect(manifest.files.find((f: { name: string }) => f.name === 'requests.jsonl').sha256).toBe(
      createHash('sha256').update(requests).digest('hex'),
    );
    const offline = await runCli(['audit', 'verify', '--file', join(out, 'audit.jsonl')]);
    expect(offline.code).toBe(0);

    const unknown = await cli([
      'incident',
      'export',
      '--agent',
      'agt_nobody',
      '--since',
      since,
      '--out',
      out,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/\ngatehouse: no agent agt_nobody\n$/);
  });

  it('refuses to report on an embedded database that does not exist, and creates none', async () => {
    const nowhere = join(dir, 'never-started');
    for (const args of [
      ['audit', 'verify'],
      ['audit', 'export'],
      ['incident', 'export', '--agent', agent.id, '--since', since],
    ]) {
      const result = await runCli(args, { env: { DATABASE_URL: '', GATEHOUSE_DATA_DIR: nowhere } });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).not.toMatch(/OK/);
      expect(result.stderr).toContain(`no Gatehouse database in ${nowhere}`);
    }
    expect(existsSync(join(nowhere, 'pgdata'))).toBe(false);
    // Nor an empty bundle directory where it was run.
    expect(readdirSync(process.cwd()).filter((name) => name.startsWith(`incident-${agent.id}`))).toEqual([]);
  });

  it('explains refusals, an unreachable server and what the API cannot do', async () => {
    const refused = await cli(['audit', 'verify'], 'not-a-token-this-server-knows');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/audit verification refused \(401\)/);
    const approver = await gh.createUser('approver@example.com', ['approver']);
    const forbidden = await cli(['audit', 'export'], approver.token);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/audit export refused \(403\): this call is for: admin, auditor/);
    const down = await runCli(['audit', 'verify', '--url', 'http://127.0.0.1:9', '--token', 'x'.repeat(30)]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Gatehouse at http:\/\/127\.0\.0\.1:9/);
    writeFileSync(join(dir, 'keys.json'), JSON.stringify((await gh.api('/v1/audit/keys')).body));
    const pinned = await cli(['audit', 'verify', '--keys', join(dir, 'keys.json')]);
    expect(pinned.code).toBe(2);
    expect(pinned.stderr).toMatch(/--keys cannot be applied through the API/);
  });
});
