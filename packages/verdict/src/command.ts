import { createHash } from 'node:crypto';

/**
 * What a verdict is about: the exact command and where it runs. The agent SDK recomputes
 * this from what it is about to execute, so both sides must derive it the same way.
 */
export interface CommandSubject {
  /** `grant` for a just-in-time grant's verdict: no shell or SQL command hashes like one. */
  kind: 'shell' | 'sql' | 'grant';
  command: string;
  /** SQL dialect; defaults to `postgresql` for SQL and is always null for shell. */
  dialect?: string | null;
  /** Host (shell) or database (SQL) the command targets, when the request named one. */
  target?: string | null;
}

/**
 * Canonical form: a JSON array in a fixed order, so that no key ordering, whitespace or
 * default can make two different subjects serialise alike. The command is taken byte
 * for byte; `rm -rf /tmp/x` and `rm -rf  /tmp/x` are different commands.
 */
export function canonicalCommand(subject: CommandSubject): string {
  const dialect = subject.kind === 'sql' ? (subject.dialect ?? 'postgresql') : null;
  return JSON.stringify(['gatehouse.cmd.v1', subject.kind, dialect, subject.command, subject.target ?? null]);
}

/** The `cmd` claim: base64url SHA-256 of the canonical subject. */
export function commandHash(subject: CommandSubject): string {
  return createHash('sha256').update(canonicalCommand(subject), 'utf8').digest('base64url');
}

/** The target of a request, from its context: host for shell, database for SQL. */
export function targetOf(
  kind: CommandSubject['kind'],
  context?: { host?: string; database?: string },
): string | null {
  return (kind === 'sql' ? context?.database : context?.host) ?? null;
}
