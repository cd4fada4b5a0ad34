import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { createPostgresTarget, type TestTarget } from '../../../test/support/targets.ts';
import { run } from '../src/program.ts';

/** `gatehouse connections list|add|grant` against a real server and the machine's PostgreSQL. */
describe('gatehouse connections', () => {
  let gh: TestGatehouse;
  let target: TestTarget;

  beforeAll(async () => {
    [gh, target] = await Promise.all([startGatehouse({ redis: false }), createPostgresTarget()]);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await target?.drop();
  });
  afterEach(() => vi.unstubAllEnvs());

  async function cli(args: string[], stdin: string[] = []) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c));
    stderr.on('data', (c: Buffer) => (err += c));
    let code: number;
    try {
      code = await run([...args, '--url', gh.url, '--token', gh.adminToken], {
        stdin: Readable.from(stdin),
        stdout,
        stderr,
      });
    } catch (error) {
      // What bin/main does with a CliError: print it, exit with its code.
      err += (error as Error).message;
      code = (error as { exitCode?: number }).exitCode ?? 1;
    }
    return { code, stdout: out, stderr: err };
  }
  const address = () => [
    '--engine',
    'postgresql',
    '--host',
    target.host,
    '--port',
    String(target.port),
    '--database',
    target.database,
    '--user',
    target.user,
  ];

  it('adds a connection with the password from stdin, grants it, and lists it without the login', async () => {
    const added = await cli(
      ['connections', 'add', 'orders', ...address(), '--password-stdin'],
      [`${target.password}\n`],
    );
    expect(added.stderr).toBe('');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toBe(
      `registered orders (postgresql ${target.host}:${target.port}/${target.database})\n`,
    );

    const agent = await gh.createAgent({ name: 'cli-bot', type: 'reporting' });
    const granted = await cli(['connections', 'grant', 'orders', '--agent', agent.id]);
    expect(granted.code).toBe(0);
    expect(granted.stdout).toMatch(new RegExp(`^granted orders to agent ${agent.id} \\(\\S+\\)\\n$`));
    expect((await cli(['connections', 'grant', 'orders', '--agent-type', 'reporting'])).code).toBe(0);

    const listed = await cli(['connections', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`orders\tpostgresql\t${target.host}:${target.port}/${target.database}`);
    expect(listed.stdout).toContain(`granted to: agent ${agent.id}, type reporting`);
    const json = await cli(['connections', 'list', '--json']);
    const [line] = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line).toMatchObject({ name: 'orders', engine: 'postgresql', grants: [{}, {}] });
    for (const text of [added.stdout, listed.stdout, json.stdout]) {
      expect(text).not.toContain(target.password);
      expect(text).not.toContain(target.user);
    }

    // The sealed password is the one piped in: the granted agent's statement runs.
    const session = await gh.session(agent.key);
    const r = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'sql', connection: 'orders', command: 'select count(*) from numbers' },
    });
    const ran = await gh.api(`/v1/requests/${r.body.id}/execute`, { token: session, body: {} });
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ran.body.rows).toEqual([['5000']]);
  });

  it('takes the password from GATEHOUSE_CONNECTION_PASSWORD, and refuses to guess one', async () => {
    vi.stubEnv('GATEHOUSE_CONNECTION_PASSWORD', undefined);
    const none = await cli(['connections', 'add', 'nopass', ...address()]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('no password');
    vi.stubEnv('GATEHOUSE_CONNECTION_PASSWORD', target.password);
    expect((await cli(['connections', 'add', 'from-env', ...address()])).code).toBe(0);
  });

  it('answers the server’s refusals and usage errors', async () => {
    const dup = await cli(['connections', 'add', 'orders', ...address(), '--password-stdin'], ['x']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('registering the connection refused (409)');
    const both = await cli(['connections', 'grant', 'orders', '--agent', 'a', '--agent-type', 't']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --agent');
    const engine = await cli(['connections', 'add', 'x', ...address().slice(2), '--engine', 'oracle']);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toContain('Allowed choices are postgresql, mysql, mariadb');
  });
});
