import { beforeAll, describe, expect, it } from 'vitest';
import { createRiskEngine, type GatehouseRiskEngine } from '../src/index.ts';

const COMMAND = 'systemctl restart nginx';

describe('whitelist entries scoped to agents', () => {
  let engine: GatehouseRiskEngine;
  beforeAll(async () => {
    engine = (await createRiskEngine()).withWhitelist([
      {
        id: 'one-agent',
        kind: 'shell',
        command: COMMAND,
        agents: ['agt_1'],
        expires: '2099-01-01T00:00:00Z',
      },
    ]);
  });

  it('lowers the command only for the agents it names', () => {
    const tierFor = (agentId?: string) =>
      engine.assess({ kind: 'shell', command: COMMAND, context: agentId ? { agentId } : {} });
    expect(tierFor('agt_1')).toMatchObject({ tier: 'auto', whitelistedBy: 'one-agent' });
    expect(tierFor('agt_2').tier).toBe('review');
    // No agent id in the context: the scoped entry does not apply (fail closed).
    expect(tierFor().tier).toBe('review');
  });

  it('refuses agents that are not ids (strings)', () => {
    expect(() =>
      engine.withWhitelist([{ id: 'bad', command: COMMAND, agents: [42], expires: '2099-01-01T00:00:00Z' }]),
    ).toThrow(/agents/);
  });
});
