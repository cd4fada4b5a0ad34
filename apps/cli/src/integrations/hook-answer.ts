// The one thing a PreToolUse hook must get right: exactly one JSON answer on stdout, whatever
// happens. Claude Code lets a tool call through when a hook prints nothing or exits with a
// code other than 0 or 2, so every path — including crashes — ends in `deny()` and exit 0.
// This module imports nothing, so it works even when the rest of Gatehouse fails to load.

export type PermissionDecision = 'allow' | 'deny';

export interface HookAnswerJson {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse';
    permissionDecision: PermissionDecision;
    permissionDecisionReason: string;
  };
}

export class HookAnswer {
  private answered = false;

  constructor(private readonly stdout: NodeJS.WritableStream) {}

  get done(): boolean {
    return this.answered;
  }

  allow(reason: string): Promise<void> {
    return this.write('allow', reason);
  }

  deny(reason: string): Promise<void> {
    return this.write('deny', reason);
  }

  /** Writes the answer once; later calls are ignored. Resolves when it is flushed. */
  private write(decision: PermissionDecision, reason: string): Promise<void> {
    if (this.answered) return Promise.resolve();
    this.answered = true;
    const answer: HookAnswerJson = {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision,
        permissionDecisionReason: reason,
      },
    };
    return new Promise((resolve) => {
      try {
        this.stdout.write(`${JSON.stringify(answer)}\n`, () => resolve());
      } catch {
        resolve();
      }
    });
  }
}
