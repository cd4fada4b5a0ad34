import { readFileSync } from 'node:fs';
import type { BacktestLine, BacktestResult } from '@gatehouse/contract';
import { adminPostLines, adminTarget } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';
import { table } from '../table.ts';

interface BacktestFlags {
  policy: string;
  since: string;
  json?: boolean;
  url?: string;
  token?: string;
}

const BAR_WIDTH = 30;
/** A terminal is redrawn at most this often: a fast run must not spend its time painting. */
const REDRAW_MS = 100;

/**
 * `gatehouse policy backtest`: the server re-scores its history under the candidate policy and
 * streams progress; the bar goes to stderr on a terminal only, so stdout holds the answer alone.
 */
export async function backtest(flags: BacktestFlags, io: CommandIO): Promise<number> {
  let policy: string;
  try {
    policy = readFileSync(flags.policy, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${flags.policy}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const target = adminTarget(flags);
  const bar = new ProgressBar(io.stderr as NodeJS.WritableStream & { isTTY?: boolean });
  let result: BacktestResult | undefined;
  try {
    for await (const text of adminPostLines(target, '/v1/backtests', 'backtest', {
      policy,
      since: flags.since,
    })) {
      const line = JSON.parse(text) as BacktestLine;
      if (line.type === 'progress') bar.update(line.done, line.total);
      else if (line.type === 'error')
        throw new CliError(`backtest broke off: ${line.message} (${line.code})`, 1);
      else result = line;
    }
  } finally {
    bar.finish();
  }
  if (!result) throw new CliError('backtest: the answer ended without a result', 1);
  io.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : summaryText(result));
  return 0;
}

export class ProgressBar {
  #drawn = false;
  #last = 0;
  constructor(
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {}

  update(done: number, total: number): void {
    if (!this.stderr.isTTY) return;
    const t = this.now();
    if (this.#drawn && done < total && t - this.#last < REDRAW_MS) return;
    this.#last = t;
    this.#drawn = true;
    this.stderr.write(`\r\x1b[2K${progressLine(done, total)}`);
  }

  finish(): void {
    if (this.#drawn) this.stderr.write('\n');
    this.#drawn = false;
  }
}

/** `[#########.....]  45%  4,500 / 10,000 requests` */
export function progressLine(done: number, total: number): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} requests`;
}

const pct = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** The answer for people: rates now and under the candidate, the tier moves, then examples of each. */
export function summaryText(r: BacktestResult): string {
  const out: string[] = [];
  out.push(
    `Backtest of policy ${r.policyVersion} (sha256 ${r.policyHash.slice(0, 12)}) over ${r.total.toLocaleString('en-US')} requests since ${r.since}`,
    '',
    table(
      ['', 'now', 'candidate'],
      [
        ['auto-approval rate', pct(r.current.autoApprovalRate), pct(r.candidate.autoApprovalRate)],
        ...(['auto', 'review', 'multi_party', 'deny'] as const).map((tier) => [
          tier,
          r.current.tiers[tier].toLocaleString('en-US'),
          r.candidate.tiers[tier].toLocaleString('en-US'),
        ]),
      ],
    ),
    '',
  );
  if (r.moves.length === 0) {
    out.push('No request changes tier.');
  } else {
    out.push(
      `${r.moved.toLocaleString('en-US')} requests change tier:`,
      table(
        ['from', 'to', 'requests', 'direction'],
        r.moves.map((m) => [m.from, m.to, m.count.toLocaleString('en-US'), m.direction]),
      ),
    );
    for (const m of r.moves) {
      out.push('', `Examples ${m.from} → ${m.to}:`);
      out.push(
        table(
          ['request', 'environment', 'command', 'rules'],
          m.examples.map((e) => [e.id, e.environment ?? '', e.command, e.rules.slice(0, 2).join(', ')]),
        ),
      );
    }
  }
  if (r.errors > 0) out.push('', `${r.errors} requests could not be scored; they count as review.`);
  return `${out.join('\n')}\n`;
}
