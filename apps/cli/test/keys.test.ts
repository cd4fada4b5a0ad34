import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { spawnNode } from '../../../test/support/processes.ts';

describe('gatehouse keys rotate', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
  });
  afterAll(async () => gh?.stop());

  const cli = async (args: string[], env: Record<string, string>) => {
    const child = spawnNode('apps/cli/src/main.ts', ['keys', ...args], env);
    const code = await child.exited;
    return { code, output: child.output() };
  };

  it('rotates through the API and keeps the old key published', async () => {
    const before = (await gh.api('/.well-known/jwks.json')).body.keys.length;
    const result = await cli(['rotate'], { GATEHOUSE_URL: gh.url, GATEHOUSE_ADMIN_TOKEN: gh.adminToken });
    expect(result).toMatchObject({
      code: 0,
      output: expect.stringMatching(/rotated; new key ids: \S+, \S+/),
    });
    expect((await gh.api('/.well-known/jwks.json')).body.keys.length).toBe(before + 1);
  });

  it('explains a refused token and an unreachable server', async () => {
    const refused = await cli(['rotate', '--url', gh.url, '--token', 'not-the-admin-token-at-all'], {});
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/key rotation refused \(401\)/);
    const down = await cli(['rotate', '--url', 'http://127.0.0.1:9', '--token', 'x'.repeat(30)], {});
    expect(down.code).toBe(1);
    expect(down.output).toMatch(/cannot reach Gatehouse at http:\/\/127\.0\.0\.1:9/);
    const unknown = await cli(['spin'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/unknown keys subcommand "spin"/);
  });
});
