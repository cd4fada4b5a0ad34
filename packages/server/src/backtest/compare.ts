import {
  BACKTEST_EXAMPLES_PER_MOVE,
  type BacktestExample,
  type BacktestMove,
  TIERS,
  type Tier,
  type TierCounts,
} from '@gatehouse/contract';

/** One historical request as it was decided, and as the candidate policy would decide it. */
export interface Rescored {
  id: string;
  createdAt: string;
  agentId: string;
  kind: string;
  command: string;
  environment: string | null;
  from: Tier;
  fromScore: number;
  to: Tier;
  toScore: number;
  rules: string[];
}

/** What a comparison holds: counts only, plus a bounded set of examples, so its size is flat. */
export interface Tally {
  total: number;
  matrix: Record<Tier, TierCounts>;
  examples: Map<string, BacktestExample[]>;
  examplesPerMove: number;
}

export interface Comparison {
  total: number;
  moved: number;
  current: { tiers: TierCounts; autoApprovalRate: number | null };
  candidate: { tiers: TierCounts; autoApprovalRate: number | null };
  moves: BacktestMove[];
  matrix: Record<Tier, TierCounts>;
}

/** Long commands are cut so a handful of examples cannot grow the answer without bound. */
export const EXAMPLE_COMMAND_CHARS = 300;

const RANK: Record<Tier, number> = { auto: 0, review: 1, multi_party: 2, deny: 3 };

function zeroCounts(): TierCounts {
  return { auto: 0, review: 0, multi_party: 0, deny: 0 };
}

export function emptyTally(examplesPerMove = BACKTEST_EXAMPLES_PER_MOVE): Tally {
  const matrix = {} as Record<Tier, TierCounts>;
  for (const tier of TIERS) matrix[tier] = zeroCounts();
  return { total: 0, matrix, examples: new Map(), examplesPerMove };
}

export function cutCommand(command: string): string {
  return command.length > EXAMPLE_COMMAND_CHARS ? `${command.slice(0, EXAMPLE_COMMAND_CHARS - 1)}…` : command;
}

/** Counts one request; keeps it as an example of its move while that move has room. */
export function addRescored(tally: Tally, r: Rescored): void {
  tally.total++;
  tally.matrix[r.from][r.to]++;
  if (r.from === r.to || tally.examplesPerMove <= 0) return;
  const key = `${r.from}>${r.to}`;
  let list = tally.examples.get(key);
  if (!list) {
    list = [];
    tally.examples.set(key, list);
  }
  const example: BacktestExample = {
    id: r.id,
    createdAt: r.createdAt,
    agentId: r.agentId,
    kind: r.kind,
    command: cutCommand(r.command),
    environment: r.environment,
    fromScore: r.fromScore,
    toScore: r.toScore,
    rules: r.rules.slice(0, 5),
  };
  if (list.length < tally.examplesPerMove) {
    list.push(example);
    return;
  }
  // The newest examples are kept, whatever order the history is read in.
  let oldest = 0;
  for (let i = 1; i < list.length; i++) if (newer(list[oldest]!, list[i]!)) oldest = i;
  if (newer(example, list[oldest]!)) list[oldest] = example;
}

function newer(a: BacktestExample, b: BacktestExample): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}

function rate(auto: number, total: number): number | null {
  return total === 0 ? null : auto / total;
}

/** The moves (largest first, then stricter before looser), the tier counts on both sides and the rates. */
export function summarize(tally: Tally): Comparison {
  const current = zeroCounts();
  const candidate = zeroCounts();
  const moves: BacktestMove[] = [];
  let moved = 0;
  for (const from of TIERS) {
    for (const to of TIERS) {
      const count = tally.matrix[from][to];
      current[from] += count;
      candidate[to] += count;
      if (from === to || count === 0) continue;
      moved += count;
      moves.push({
        from,
        to,
        count,
        direction: RANK[to] > RANK[from] ? 'stricter' : 'looser',
        examples: [...(tally.examples.get(`${from}>${to}`) ?? [])].sort((a, b) => (newer(a, b) ? -1 : 1)),
      });
    }
  }
  moves.sort(
    (a, b) =>
      b.count - a.count ||
      (a.direction === b.direction ? 0 : a.direction === 'stricter' ? -1 : 1) ||
      RANK[a.from] - RANK[b.from] ||
      RANK[a.to] - RANK[b.to],
  );
  const matrix = {} as Record<Tier, TierCounts>;
  for (const tier of TIERS) matrix[tier] = { ...tally.matrix[tier] };
  return {
    total: tally.total,
    moved,
    current: { tiers: current, autoApprovalRate: rate(current.auto, tally.total) },
    candidate: { tiers: candidate, autoApprovalRate: rate(candidate.auto, tally.total) },
    moves,
    matrix,
  };
}
