import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { insertRows, schema } from '@gatehouse/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DESTROY_POLICY, startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { ProgressBar, progressLine } from '../src/commands/policy.ts';
import { run } from '../src/program.ts';
import { runCli } from './fixtures/cli.ts';

// 1,500 requests of the last day: every 10th a `terraform destroy` (multi_party under the
// default policy), the rest `git status` (auto). The candidate makes destroys a deny.
const TOTAL = 1_500;
const DESTROYS = TOTAL / 10;
const CANDIDATE = NO_DESTROY_POLICY;

describe('gatehouse policy backtest', () => {
  let gh: TestGatehouse;
  let auditor: { token: string };
  let approver: { token: string };
  const dir = mkdtempSync(join(tmpdir(), 'gh-backtest-cli-'));
  const candidate = join(dir, 'new.yaml');
  const broken = join(dir, 'broken.yaml');

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    approver = await gh.createUser('oncall@example.com', ['approver']);
    const agent = await gh.createAgent({ name: 'ci-1', type: 'ci' });
    const now = Date.now();
    const rows = Array.from({ length: TOTAL }, (_, i) => {
      const destroy = i % 10 === 0;
      const at = new Date(now - 3_600_000 + i * 1_000).toISOString();
      return {
        id: `req_cli${String(i).padStart(5, '0')}`,
        agentId: agent.id,
        sessionId: 'ses_gen',
        kind: 'shell',
        command: destroy ? 'terraform destroy' : 'git status',
        context: { environment: 'dev' },
        cmdHash: `h${i}`,
        score: destroy ? 85 : 5,
        tier: destroy ? 'multi_party' : 'auto',
        reasons: [],
        commands: [],
        policyVersion: 'gen',
        status: destroy ? 'approved' : 'auto_approved',
        requiredApprovals: destroy ? 2 : 0,
        createdAt: at,
      };
    });
    await gh.running.runtime.database.db.execute(insertRows([{ table: schema.requests, rows }]));
    writeFileSync(candidate, CANDIDATE);
    writeFileSync(broken, 'version: "1"\nextends: default\nthresholds:\n  review: high\n');
  }, 60_000);
  afterAll(async () => gh?.stop());

  // The real binary, in its own process: what a person runs.
  const cli = (args: string[], token = auditor.token) =>
    runCli(['policy', 'backtest', ...args, '--url', gh.url, '--token', token], {
      env: { DATABASE_URL: '', GATEHOUSE_DATA_DIR: join(dir, 'no-data-here') },
    });
  // The same program in this process (no start-up per call); a CliError is what main prints.
  const inProcess = async (args: string[], token = auditor.token) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c));
    stderr.on('data', (c: Buffer) => (err += c));
    try {
      const code = await run(['policy', 'backtest', ...args, '--url', gh.url, '--token', token], {
        stdin: Readable.from([]),
        stdout,
        stderr,
      });
      return { code, stdout: out, stderr: err };
    } catch (error) {
      const { message, exitCode } = error as { message: string; exitCode?: number };
      return { code: exitCode ?? -1, stdout: out, stderr: `${err}gatehouse: ${message}\n` };
    }
  };

  it('prints the rates, the tier moves and examples; no progress bar when stderr is not a terminal', async () => {
    const r = await cli(['--policy', candidate, '--since', '1d']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Backtest of policy no-destroy\S* \(sha256 [0-9a-f]{12}\) over 1,500 requests since /,
    );
    const rate = `${(((TOTAL - DESTROYS) / TOTAL) * 100).toFixed(1)}%`;
    expect(r.stdout).toMatch(new RegExp(`auto-approval rate\\s+${rate}\\s+${rate}`));
    expect(r.stdout).toMatch(/multi_party\s+150\s+0\n/);
    expect(r.stdout).toMatch(/deny\s+0\s+150\n/);
    expect(r.stdout).toContain('150 requests change tier:');
    expect(r.stdout).toMatch(/multi_party\s+deny\s+150\s+stricter/);
    expect(r.stdout).toContain('Examples multi_party → deny:');
    expect(r.stdout.match(/req_cli\d+\s+dev\s+terraform destroy\s+shell\.terraform\.destroy/g)).toHaveLength(
      5,
    );
  });

  it('--json prints the whole result', async () => {
    const r = await inProcess(['--policy', candidate, '--since', '1d', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ type: 'result', total: TOTAL, moved: DESTROYS });
    expect(result.moves).toEqual([
      expect.objectContaining({ from: 'multi_party', to: 'deny', count: DESTROYS, direction: 'stricter' }),
    ]);
  });

  it('says where an invalid policy is wrong, and exits 1', async () => {
    const r = await cli(['--policy', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/backtest refused \(400\): .*line 4, column \d+/);
  });

  it('refuses approvers, a missing file and a bad window', async () => {
    const refused = await inProcess(['--policy', candidate], approver.token);
    const missing = await inProcess(['--policy', join(dir, 'nope.yaml')]);
    const window = await inProcess(['--policy', candidate, '--since', 'last week']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('backtest refused (403)');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('--since');
  });
});

describe('backtest progress bar', () => {
  it('draws in place on a terminal, at most every 100 ms until the end, then ends the line', () => {
    const written: string[] = [];
    let t = 0;
    const stderr = { isTTY: true, write: (s: string) => written.push(s) > 0 } as never;
    const bar = new ProgressBar(stderr, () => t);
    bar.update(0, 4_000);
    t = 50;
    bar.update(1_000, 4_000); // too soon: skipped
    t = 150;
    bar.update(2_000, 4_000);
    t = 160;
    bar.update(4_000, 4_000); // the end is always drawn
    bar.finish();
    expect(written).toEqual([
      `\r\x1b[2K${progressLine(0, 4_000)}`,
      `\r\x1b[2K${progressLine(2_000, 4_000)}`,
      `\r\x1b[2K${progressLine(4_000, 4_000)}`,
      '\n',
    ]);
    expect(progressLine(2_000, 4_000)).toBe(
      `[${'#'.repeat(15)}${'.'.repeat(15)}]  50%  2,000 / 4,000 requests`,
    );
    expect(progressLine(0, 0)).toMatch(/100% {2}0 \/ 0 requests$/);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const written: string[] = [];
    const bar = new ProgressBar({ isTTY: false, write: (s: string) => written.push(s) > 0 } as never);
    bar.update(10, 100);
    bar.finish();
    expect(written).toEqual([]);
  });
});
