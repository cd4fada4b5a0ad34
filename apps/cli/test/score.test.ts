import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../src/program.ts';

async function invoke(args: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await run(['score', ...args], { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('gatehouse score', () => {
  it('answers one NDJSON line per input line, in order, and survives bad lines', async () => {
    const input = [
      JSON.stringify({ kind: 'shell', command: 'ls' }),
      'this is not json',
      JSON.stringify({ kind: 'sql', command: 'DELETE FROM users', dialect: 'postgresql' }),
      JSON.stringify({ kind: 'shell', command: 'x'.repeat(70_000) }),
      JSON.stringify({ kind: 'nope', command: 'ls' }),
      JSON.stringify({ kind: 'shell', command: 'npm ci', context: { environment: 'prod' } }),
    ].join('\n');
    const { code, stdout } = await invoke([], `${input}\n`);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines[0].tier).toBe('auto');
    expect(lines[1].error).toMatch(/invalid JSON/);
    expect(lines[2].tier).toBe('multi_party');
    expect(lines[3].code).toBe('ERR_INPUT_TOO_LARGE');
    expect(lines[4].error).toMatch(/kind/);
    expect(lines[5].tier).toBe('review');
  });

  it('--explain prints the commands and reasons as a table', async () => {
    const { code, stdout } = await invoke([
      '--explain',
      '--kind',
      'shell',
      "sudo bash -c 'rm -rf /var/lib/app'",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tier: multi_party/);
    expect(stdout).toMatch(/rm\s+-rf \/var\/lib\/app\s+sudo > bash -c/);
    expect(stdout).toContain('shell.rm.system-recursive');
  });

  it('--explain shows the resolved form behind each reason', async () => {
    // A decoded payload, a target resolved against `cd`, and an unwrapped command.
    const decoded = await invoke(['--explain', '$(echo dXNlcmFkZCBlbGk= | base64 -d)']);
    expect(decoded.stdout).toMatch(/resolved as/);
    expect(decoded.stdout).toMatch(/decoded: useradd eli/);
    const cd = await invoke(['--explain', 'cd / && rm -rf ./*']);
    expect(cd.stdout).toMatch(/^tier: deny/);
    expect(cd.stdout).toMatch(/shell\.rm\.root\s+rm -r \/\*/);
    const unwrapped = await invoke(['--explain', "sudo timeout 5 sh -c 'iptables -t nat -F'"]);
    expect(unwrapped.stdout).toMatch(/sudo > timeout > sh -c > iptables -t nat -F/);
  });

  it('--policy loads a custom policy for both modes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-score-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      'version: "t"\nextends: default\nagentTypes: {}\nrules:\n  - id: shell.git.push\n    category: side_effect\n    weight: 0\n    explanation: routine\n',
    );
    const { stdout } = await invoke(
      ['--policy', file],
      `${JSON.stringify({ kind: 'shell', command: 'git push' })}\n`,
    );
    expect(JSON.parse(stdout).tier).toBe('auto');
    const explained = await invoke(['--policy', file, '--explain', 'git push']);
    expect(explained.stdout).toMatch(/^tier: auto/);
  });

  it('reports an invalid policy file with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-score-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'version: "t"\nextends: default\nrules:\n  - id: x\n    category: nope\n    weight: 1\n    explanation: x\n',
    );
    await expect(invoke(['--policy', file, '--explain', 'ls'])).rejects.toThrow(/bad\.yaml:5:15: category/);
  });
});
