import { describe, expect, it } from 'vitest';
import { createRiskEngine } from '../src/index.ts';

const engine = await createRiskEngine();
const tablesOf = (command: string, dialect: 'postgresql' | 'mysql') =>
  engine.assess({ kind: 'sql', dialect, command }).commands.map((c) => c.tables ?? []);

/** Approvers see which tables a statement touches: the parser's answer, per statement. */
describe.each(['postgresql', 'mysql'] as const)('tables of %s statements', (dialect) => {
  it('names the target of a write, and every table of a join', () => {
    expect(tablesOf('UPDATE orders SET state = 1 WHERE id = 7', dialect)).toEqual([['orders']]);
    expect(
      tablesOf('SELECT * FROM public.users u JOIN orders o ON o.uid = u.id', dialect)[0]?.sort(),
    ).toEqual(['orders', 'public.users']);
  });

  it('keeps each statement of a multi-statement text apart', () => {
    expect(tablesOf('DELETE FROM sessions; SELECT 1', dialect)).toEqual([['sessions'], []]);
  });

  it('finds tables inside subqueries', () => {
    expect(tablesOf('DELETE FROM a WHERE id IN (SELECT id FROM b)', dialect)[0]?.sort()).toEqual(['a', 'b']);
  });
});
