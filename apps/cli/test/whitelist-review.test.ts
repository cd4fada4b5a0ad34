import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshWhitelistHits } from '@gatehouse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';
import { type CliRun, runCli } from './fixtures/cli.ts';

const POLICY = `extends: default
version: cli-review
defaultWhitelist: false
whitelist:
  - id: cli.restart-nginx
    command: systemctl restart nginx
    expires: 2099-12-31
    reason: nginx restarts are routine
  - id: cli.restart-api
    command: systemctl restart api
    expires: 2099-12-31
`;

/** `gatehouse whitelist review` against a running server, as a reviewer in a terminal uses it. */
describe('gatehouse whitelist review', () => {
  let gh: TestGatehouse;
  let auditor: { token: string };
  let session: string;
  const dir = mkdtempSync(join(tmpdir(), 'gh-cli-review-'));

  beforeAll(async () => {
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    gh = await startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: join(dir, 'policy.yaml') } });
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    const agent = await gh.createAgent({ name: 'deploy-bot', type: 'ci' });
    session = await gh.session(agent.key);
    for (let i = 0; i < 3; i++)
      await gh.api('/v1/requests', {
        token: session,
        body: { kind: 'shell', command: 'systemctl restart nginx' },
      });
    // Seen 80 days ago: its review (day 90) is within the default 14 days, so it is due.
    await query(
      gh.database.url,
      `update whitelist_reviews set first_seen_at = now() - interval '80 days' where entry_id = 'cli.restart-nginx'`,
    );
    await refreshWhitelistHits(gh.running.runtime.database.db);
  });
  afterAll(async () => {
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], token = auditor.token) =>
    runCli(['whitelist', 'review', ...args, '--url', gh.url, '--token', token], {
      env: { DATABASE_URL: '', GATEHOUSE_DATA_DIR: join(dir, 'no-data-here') },
    });
  // Each run is a process that loads the CLI: the runs start together and the tests read their answers.
  let runs: Record<'table' | 'json' | 'none' | 'agent' | 'bad', Promise<CliRun>>;
  const run = (name: keyof typeof runs) => {
    runs ??= {
      table: cli([]),
      json: cli(['--within', '100', '--json']),
      none: cli(['--within', '0']),
      agent: cli([], session),
      bad: cli(['--within', 'soon']),
    };
    return runs[name];
  };

  it('prints the due entries with their hits, and not the others', async () => {
    const result = await run('table');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^1 whitelist entry due for review \(grace 14 days; hits as of \S+\)$/);
    expect(lines[1]).toMatch(
      /^ {2}ID\s+SOURCE\s+PATTERN\s+STATE\s+REVIEW BY\s+STOPS\s+RADIUS\s+HITS\s+LAST HIT\s+AGENTS$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}cli\.restart-nginx\s+policy\s+systemctl restart nginx\s+due\s+\d{4}-\d\d-\d\d\s+\d{4}-\d\d-\d\d\s+wide\s+3\s+\d{4}-\d\d-\d\d\s+deploy-bot \(3\) \[ci\]$/,
    );
    expect(result.stdout).not.toContain('cli.restart-api');
  });

  it('--within widens the queue, --json prints the answer', async () => {
    const result = await run('json');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.items.map((e: { id: string }) => e.id)).toEqual(['cli.restart-nginx', 'cli.restart-api']);
    expect(answer.items[0]).toMatchObject({
      hits: { count: 3, agentTypes: ['ci'], agents: [{ name: 'deploy-bot', count: 3 }] },
      review: { state: 'due', due: true },
    });
  });

  it('says when nothing is due and refuses an agent token or a bad --within', async () => {
    const [none, agent, bad] = await Promise.all([run('none'), run('agent'), run('bad')]);
    expect(none).toMatchObject({ code: 0, stdout: 'no whitelist entries are due for review\n' });
    expect(agent.code).toBe(1);
    expect(agent.stderr).toContain('whitelist review refused (403)');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a whole number from 0 to 366');
  });
});
