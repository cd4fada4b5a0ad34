import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/program.ts';

async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c));
  stderr.on('data', (c: Buffer) => (err += c));
  const code = await run(args, { stdin: Readable.from([]), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

// Every command and subcommand, as `--help` must explain it (hook answers on stdout, so its
// help goes to stderr).
const COMMANDS = [
  ['start'],
  ['config'],
  ['score'],
  ['run'],
  ['mcp'],
  ['keys'],
  ['keys', 'rotate'],
  ['audit'],
  ['audit', 'verify'],
  ['audit', 'export'],
  ['agents'],
  ['agents', 'revoke'],
  ['connections'],
  ['connections', 'list'],
  ['connections', 'add'],
  ['connections', 'grant'],
  ['incident'],
  ['incident', 'export'],
  ['policy'],
  ['policy', 'backtest'],
];

afterEach(() => vi.unstubAllEnvs());

describe('gatehouse argument parsing', () => {
  it('explains every command and subcommand with --help, and exits 0', async () => {
    for (const command of COMMANDS) {
      const result = await cli([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Usage: gatehouse ${command.join(' ')}`);
    }
  });

  it('refuses unknown options, commands and subcommands as usage errors (exit 2)', async () => {
    const option = await cli(['audit', 'verify', '--nope']);
    expect(option).toMatchObject({ code: 2, stdout: '' });
    expect(option.stderr).toBe("gatehouse: unknown option '--nope'\n(see `gatehouse audit verify --help`)\n");
    expect((await cli(['frobnicate'])).code).toBe(2);
    const sub = await cli(['agents', 'pardon', 'agt_1']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^gatehouse: unknown agents subcommand "pardon"/);
    const missing = await cli(['agents', 'revoke']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'agent-id'/);
    expect((await cli(['score', '--explain', '--kind', 'perl', 'ls'])).code).toBe(2);
  });

  it('leaves options after the command of `run` to that command', async () => {
    // No Gatehouse is configured, so nothing runs either way; what matters is that --bogus
    // after the command's first word is not refused as ours.
    vi.stubEnv('GATEHOUSE_URL', '');
    vi.stubEnv('GATEHOUSE_AGENT_KEY', '');
    vi.stubEnv('GATEHOUSE_CONFIG', '/nonexistent/agent.json');
    const passed = await cli(['run', 'ls', '--bogus']);
    expect(passed.code).toBe(126);
    const ours = await cli(['run', '--bogus', '--', 'ls']);
    expect(ours.code).toBe(2);
    expect(ours.stderr).toMatch(/unknown option '--bogus'/);
  });
});

describe('gatehouse config', () => {
  it('prints every variable with its value and source, secrets redacted', async () => {
    vi.stubEnv('GATEHOUSE_PORT', '9191');
    vi.stubEnv('GATEHOUSE_ADMIN_TOKEN', 'admin-token-that-must-not-show');
    vi.stubEnv('DATABASE_URL', 'postgres://gh:db-password-here@db.internal/gh');
    const text = await cli(['config']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^variable\s+value\s+source\n/);
    expect(text.stdout).toMatch(/\nGATEHOUSE_PORT\s+9191\s+env\n/);
    expect(text.stdout).toMatch(/\nGATEHOUSE_ISSUER\s+gatehouse\s+default\n/);
    expect(text.stdout).toMatch(/\nDATABASE_URL\s+postgres:\/\/gh:\*\*\*@db\.internal\/gh\s+env\n/);
    const json = await cli(['config', '--json']);
    const entries = JSON.parse(json.stdout) as { variable: string; value: unknown; source: string }[];
    expect(entries.find((e) => e.variable === 'GATEHOUSE_ADMIN_TOKEN')).toEqual({
      variable: 'GATEHOUSE_ADMIN_TOKEN',
      value: '<redacted>',
      source: 'env',
    });
    expect(entries.find((e) => e.variable === 'GATEHOUSE_MASTER_KEY')?.value).toBeNull();
    for (const output of [text.stdout, json.stdout]) {
      expect(output).not.toContain('admin-token-that-must-not-show');
      expect(output).not.toContain('db-password-here');
    }
  });

  it('reports a bad value naming the variable, what it got and what it expects', async () => {
    vi.stubEnv('GATEHOUSE_DB_POOL_SIZE', 'many');
    await expect(cli(['config'])).rejects.toThrow(
      'GATEHOUSE_DB_POOL_SIZE must be an integer between 1 and 500, got "many"',
    );
  });
});
