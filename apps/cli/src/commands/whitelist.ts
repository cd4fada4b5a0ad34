import type { GovernedWhitelistEntry, WhitelistGovernanceAnswer } from '@gatehouse/contract';
import { adminGet, adminTarget } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';
import { table } from '../table.ts';

interface ReviewFlags {
  within?: number;
  json?: boolean;
  url?: string;
  token?: string;
}

/**
 * `gatehouse whitelist review`: the review queue with each entry's hits, for reviewers who
 * live in the terminal. Renewing and retiring stay in the console, where the reviewer sees
 * the whole entry before deciding.
 */
export async function review(flags: ReviewFlags, io: CommandIO): Promise<number> {
  const query = flags.within === undefined ? '' : `?withinDays=${flags.within}`;
  const answer = await adminGet<WhitelistGovernanceAnswer>(
    adminTarget(flags),
    `/v1/whitelist/review${query}`,
    'whitelist review',
  );
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  if (answer.items.length === 0) {
    io.stdout.write('no whitelist entries are due for review\n');
    return 0;
  }
  const rows = answer.items.map(reviewRow);
  io.stdout.write(
    `${answer.items.length} whitelist entr${answer.items.length === 1 ? 'y' : 'ies'} due for review` +
      ` (grace ${answer.settings.graceDays} days; hits as of ${answer.hitsUpdatedAt ?? 'never'})\n`,
  );
  io.stdout.write(
    `${table(['ID', 'SOURCE', 'PATTERN', 'STATE', 'REVIEW BY', 'STOPS', 'RADIUS', 'HITS', 'LAST HIT', 'AGENTS'], rows)}\n`,
  );
  return 0;
}

function reviewRow(entry: GovernedWhitelistEntry): string[] {
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');
  const agents = entry.hits.agents.map((a) => `${a.name ?? a.id} (${a.count})`);
  const types = entry.hits.agentTypes.length ? ` [${entry.hits.agentTypes.join(', ')}]` : '';
  return [
    entry.id,
    entry.source,
    entry.command ?? JSON.stringify(entry.match),
    entry.review.state,
    day(entry.review.nextReviewAt),
    day(entry.review.lapsesAt),
    entry.blastRadius,
    String(entry.hits.count),
    day(entry.hits.lastHitAt),
    agents.length ? `${agents.join(', ')}${types}` : '-',
  ];
}
