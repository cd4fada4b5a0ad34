import { TIERS, type Tier } from '@gatehouse/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addRescored,
  cutCommand,
  EXAMPLE_COMMAND_CHARS,
  emptyTally,
  type Rescored,
  summarize,
} from '../src/backtest/compare.ts';
import { resolveSince } from '../src/backtest/service.ts';

const tier = fc.constantFrom<Tier>(...TIERS);
const BASE = Date.UTC(2026, 0, 1);

const rescored = fc.record({
  id: fc.stringMatching(/^req_[a-z0-9]{1,8}$/),
  createdAt: fc.integer({ min: 0, max: 1e9 }).map((ms) => new Date(BASE + ms).toISOString()),
  agentId: fc.constantFrom('agt_a', 'agt_b'),
  kind: fc.constantFrom('shell', 'sql'),
  command: fc.string({ maxLength: 400 }),
  environment: fc.constantFrom(null, 'dev', 'prod'),
  from: tier,
  fromScore: fc.integer({ min: 0, max: 100 }),
  to: tier,
  toScore: fc.integer({ min: 0, max: 100 }),
  rules: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 8 }),
}) satisfies fc.Arbitrary<Rescored>;

function compare(rows: Rescored[], cap?: number) {
  const tally = emptyTally(cap);
  for (const row of rows) addRescored(tally, row);
  return summarize(tally);
}

const row = (from: Tier, to: Tier, i: number, command = `cmd ${i}`): Rescored => ({
  id: `req_${String(i).padStart(4, '0')}`,
  createdAt: new Date(BASE + i * 1000).toISOString(),
  agentId: 'agt_a',
  kind: 'shell',
  command,
  environment: 'prod',
  from,
  fromScore: 10,
  to,
  toScore: 95,
  rules: ['shell.terraform.destroy'],
});

describe('backtest comparison', () => {
  it('counts a known history: moves, directions, rates and the matrix', () => {
    const rows = [
      ...Array.from({ length: 6 }, (_, i) => row('auto', 'auto', i)),
      ...Array.from({ length: 3 }, (_, i) => row('multi_party', 'deny', 10 + i)),
      row('review', 'auto', 20),
      row('review', 'review', 21),
    ];
    const c = compare(rows);
    expect(c.total).toBe(11);
    expect(c.moved).toBe(4);
    expect(c.current.tiers).toEqual({ auto: 6, review: 2, multi_party: 3, deny: 0 });
    expect(c.candidate.tiers).toEqual({ auto: 7, review: 1, multi_party: 0, deny: 3 });
    expect(c.current.autoApprovalRate).toBeCloseTo(6 / 11, 12);
    expect(c.candidate.autoApprovalRate).toBeCloseTo(7 / 11, 12);
    expect(c.moves.map((m) => [m.from, m.to, m.count, m.direction])).toEqual([
      ['multi_party', 'deny', 3, 'stricter'],
      ['review', 'auto', 1, 'looser'],
    ]);
    expect(c.matrix.auto.auto).toBe(6);
    expect(c.matrix.multi_party.deny).toBe(3);
  });

  it('keeps the newest examples of each move, newest first, whatever the order read', () => {
    const rows = Array.from({ length: 12 }, (_, i) => row('auto', 'review', i));
    const forward = compare(rows, 3).moves[0]!;
    const backward = compare([...rows].reverse(), 3).moves[0]!;
    expect(forward.examples.map((e) => e.id)).toEqual(['req_0011', 'req_0010', 'req_0009']);
    expect(backward.examples).toEqual(forward.examples);
  });

  it('cuts long commands in examples', () => {
    const long = 'x'.repeat(EXAMPLE_COMMAND_CHARS * 3);
    const [move] = compare([row('auto', 'deny', 1, long)]).moves;
    expect(move!.examples[0]!.command).toHaveLength(EXAMPLE_COMMAND_CHARS);
    expect(move!.examples[0]!.command.endsWith('…')).toBe(true);
    expect(cutCommand('ls')).toBe('ls');
  });

  it('has no rate for an empty window', () => {
    const c = compare([]);
    expect(c).toMatchObject({ total: 0, moved: 0, moves: [] });
    expect(c.current.autoApprovalRate).toBeNull();
    expect(c.candidate.autoApprovalRate).toBeNull();
  });

  it('preserves totals: every request is counted once on each side', () => {
    fc.assert(
      fc.property(fc.array(rescored, { maxLength: 200 }), (rows) => {
        const c = compare(rows);
        const sum = (t: Record<Tier, number>) => TIERS.reduce((n, k) => n + t[k], 0);
        expect(c.total).toBe(rows.length);
        expect(sum(c.current.tiers)).toBe(rows.length);
        expect(sum(c.candidate.tiers)).toBe(rows.length);
        expect(TIERS.reduce((n, k) => n + sum(c.matrix[k]), 0)).toBe(rows.length);
        expect(c.moved).toBe(rows.filter((r) => r.from !== r.to).length);
        expect(c.moves.reduce((n, m) => n + m.count, 0)).toBe(c.moved);
        for (const t of TIERS) {
          expect(c.current.tiers[t]).toBe(rows.filter((r) => r.from === t).length);
          expect(c.candidate.tiers[t]).toBe(rows.filter((r) => r.to === t).length);
        }
      }),
    );
  });

  it('an identical policy moves nothing and keeps the rate', () => {
    fc.assert(
      fc.property(fc.array(rescored, { maxLength: 200 }), (rows) => {
        const c = compare(rows.map((r) => ({ ...r, to: r.from })));
        expect(c.moved).toBe(0);
        expect(c.moves).toEqual([]);
        expect(c.candidate).toEqual(c.current);
      }),
    );
  });

  it('caps examples, only shows real moves, and does not depend on the order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(rescored, { maxLength: 150, selector: (r) => r.id }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer(),
        (rows, cap, seed) => {
          const c = compare(rows, cap);
          for (const move of c.moves) {
            expect(move.from).not.toBe(move.to);
            expect(move.count).toBeGreaterThan(0);
            expect(move.examples.length).toBe(Math.min(cap, move.count));
            for (const e of move.examples) {
              const source = rows.find((r) => r.id === e.id && r.createdAt === e.createdAt);
              expect(source).toBeDefined();
              expect(source!.from).toBe(move.from);
              expect(source!.to).toBe(move.to);
              expect(e.command.length).toBeLessThanOrEqual(EXAMPLE_COMMAND_CHARS);
            }
          }
          // Examples are the newest per move, so any reading order gives the same answer.
          const k = rows.length === 0 ? 0 : Math.abs(seed) % rows.length;
          const reordered = [...rows.slice(k), ...rows.slice(0, k)].reverse();
          expect(compare(reordered, cap)).toEqual(c);
        },
      ),
    );
  });

  it('loosening is what lowers the bar: the rate rises only through moves to auto', () => {
    fc.assert(
      fc.property(fc.array(rescored, { maxLength: 200 }), (rows) => {
        const c = compare(rows);
        const intoAuto = c.moves.filter((m) => m.to === 'auto').reduce((n, m) => n + m.count, 0);
        const outOfAuto = c.moves.filter((m) => m.from === 'auto').reduce((n, m) => n + m.count, 0);
        expect(c.candidate.tiers.auto - c.current.tiers.auto).toBe(intoAuto - outOfAuto);
        for (const m of c.moves) {
          expect(m.direction).toBe(TIERS.indexOf(m.to) > TIERS.indexOf(m.from) ? 'stricter' : 'looser');
        }
      }),
    );
  });
});

describe('backtest window', () => {
  const now = Date.UTC(2026, 11, 7, 12);
  it('reads durations back from now and past instants', () => {
    expect(resolveSince('30d', now).getTime()).toBe(now - 30 * 86_400_000);
    expect(resolveSince('12h', now).getTime()).toBe(now - 12 * 3_600_000);
    expect(resolveSince('2026-12-01T00:00:00Z', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
  it('refuses a window that starts now or later, or is not a time', () => {
    for (const bad of ['2026-12-08T00:00:00Z', new Date(now).toISOString(), 'yesterday', '0d']) {
      expect(() => resolveSince(bad, now)).toThrow(
        expect.objectContaining({ code: 'BACKTEST_SINCE_INVALID' }),
      );
    }
  });
});
