import { beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseRiskEngine } from '../src/index.ts';
import { atLeast, defaultEngine, rules, shell } from './helpers.ts';

// Names a command controls (program, variable, subcommand) that are also members of every
// plain object. Looked up naively in the engine's tables they would resolve to a function of
// Object.prototype: a program the engine "knows" (and scores as nothing), or a crash.
const PROTOTYPE_NAMES = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

let engine: GatehouseRiskEngine;
beforeAll(async () => {
  engine = await defaultEngine();
});

describe('names that are also Object.prototype members', () => {
  it.each(PROTOTYPE_NAMES)('%s as a program is an unknown program, however it is wrapped', (name) => {
    for (const command of [`${name} -rf /`, `sudo ${name} -rf /`, `env ${name} x`, `bash -c '${name} x'`]) {
      const a = shell(engine, command);
      expect(rules(a), command).not.toContain('engine.internal-error');
      expect(atLeast(a.tier, 'review'), `${command}: ${a.tier}`).toBe(true);
      expect(
        a.commands.map((c) => c.name),
        command,
      ).toContain(name);
    }
  });

  it.each(PROTOTYPE_NAMES)('%s as a variable, subcommand or SQL name is judged like any other', (name) => {
    expect(rules(shell(engine, `echo $${name}`))).not.toContain('engine.internal-error');
    expect(shell(engine, `rm -rf /$${name}`).tier).not.toBe('auto');
    for (const program of ['git', 'kubectl', 'aws', 'docker', 'npm', 'ip', 'systemctl']) {
      expect(rules(shell(engine, `${program} ${name}`)), `${program} ${name}`).not.toContain(
        'engine.internal-error',
      );
    }
    const sql = engine.assess({ kind: 'sql', command: `DROP TABLE "${name}"` });
    expect(sql.tier).toBe('multi_party');
  });
});
