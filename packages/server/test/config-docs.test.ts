import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable, TABLE_END, TABLE_START, withConfigTable } from '../src/config-docs.ts';
import { configVariables } from '../src/config-schema.ts';

const README = new URL('../../../README.md', import.meta.url);

describe('the configuration table in README.md', () => {
  it('is what the config schema generates (run `npm run docs:config` after changing it)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(TABLE_START);
    expect(withConfigTable(readme)).toBe(readme);
  });

  it('has a row for every variable, and notices a stale one', () => {
    const table = configTable();
    for (const [name] of configVariables()) expect(table).toContain(`| \`${name}\``);
    const stale = `${TABLE_START}\n| old |\n${TABLE_END}`;
    expect(withConfigTable(stale)).toBe(`${TABLE_START}\n${table}\n${TABLE_END}`);
  });
});
