import type { PendingRequest } from '@gatehouse/sdk';
import { approvalsText, clock, elapsed, reasonLines } from './describe.ts';

const TTY_REFRESH_MS = 1_000;
const LOG_EVERY_MS = 10_000;

/**
 * The "waiting for approval" line of `gatehouse run` on stderr: redrawn in place every second
 * on a terminal, one line every 10 s otherwise (logs and CI should not fill with updates).
 */
export class PendingProgress {
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private pending: PendingRequest | undefined;

  constructor(
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {}

  start(pending: PendingRequest): void {
    this.pending = pending;
    this.started = this.now();
    this.stderr.write(
      `gatehouse: request ${pending.requestId} needs ${approvalsText(pending)} from an approver in the Gatehouse queue\n${reasonLines(pending.reasons)}`,
    );
    this.draw();
    this.timer = setInterval(() => this.draw(), this.stderr.isTTY ? TTY_REFRESH_MS : LOG_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.stderr.isTTY) this.stderr.write('\n');
  }

  line(): string {
    const pending = this.pending;
    if (!pending) return '';
    const deadline = pending.deadline ? ` — deadline ${clock(pending.deadline)}` : '';
    return `gatehouse: waiting for ${approvalsText(pending)} — request ${pending.requestId}${deadline} [${elapsed(this.now() - this.started)}]`;
  }

  private draw(): void {
    if (this.stderr.isTTY) this.stderr.write(`\r\x1b[2K${this.line()}`);
    else this.stderr.write(`${this.line()}\n`);
  }
}
