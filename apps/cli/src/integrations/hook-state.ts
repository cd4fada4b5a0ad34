import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ToolRequest } from '@gatehouse/sdk';

// Requests the hook stopped waiting for. When Claude Code retries the same command in the
// same session, the hook waits on that request again instead of submitting a new one — so
// an approval given after the first attempt timed out is what lets the retry run. Losing
// this file only costs a new request; it never allows anything (the verdict is still checked
// against the command being run).

export interface PendingEntry {
  requestId: string;
  /** Epoch ms after which the entry is dropped (the request's deadline). */
  expiresAt: number;
}

interface StateFile {
  version: 1;
  entries: Record<string, PendingEntry>;
}

const FALLBACK_TTL_MS = 15 * 60_000;

export function statePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATEHOUSE_HOOK_STATE) return resolve(env.GATEHOUSE_HOOK_STATE);
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'gatehouse', 'claude-code-pending.json');
}

/** Same Gatehouse, same Claude session, same request: the only case where waiting resumes. */
export function stateKey(url: string, sessionId: string | undefined, request: ToolRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        url,
        sessionId ?? '',
        request.kind,
        request.dialect ?? null,
        request.command,
        request.context ?? {},
      ]),
    )
    .digest('base64url');
}

export class PendingStore {
  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): PendingEntry | undefined {
    return this.read().entries[key];
  }

  set(key: string, requestId: string, deadline?: Date): void {
    const state = this.read();
    const expiresAt = deadline ? deadline.getTime() + 60_000 : this.now() + FALLBACK_TTL_MS;
    state.entries[key] = { requestId, expiresAt };
    this.write(state);
  }

  delete(key: string): void {
    const state = this.read();
    if (!(key in state.entries)) return;
    delete state.entries[key];
    this.write(state);
  }

  private read(): StateFile {
    const empty: StateFile = { version: 1, entries: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return empty;
    }
    const entries = (parsed as StateFile | undefined)?.entries;
    if (typeof entries !== 'object' || entries === null) return empty;
    const now = this.now();
    for (const [key, entry] of Object.entries(entries)) {
      if (
        typeof entry?.requestId === 'string' &&
        typeof entry.expiresAt === 'number' &&
        entry.expiresAt > now
      ) {
        empty.entries[key] = { requestId: entry.requestId, expiresAt: entry.expiresAt };
      }
    }
    return empty;
  }

  /** Write-then-rename, so concurrent hooks never read a half-written file. */
  private write(state: StateFile): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
