import { foldWhitespace } from '../text.ts';
import type { Finding, ParsedCommand, SqlDialect } from '../types.ts';
import { normalizePath } from './paths.ts';
import type { ShellRuleId } from './rule-ids.ts';

/**
 * What a command writes to stdout, as far as the analyzer can tell. Pipelines pass it to the
 * next stage so that `curl … | sh`, `echo … | base64 -d | bash` and `cat <<EOF | psql` can be
 * judged by what the interpreter at the end actually receives.
 */
export type Stream =
  | { kind: 'unknown' }
  | { kind: 'literal'; text: string }
  | { kind: 'remote'; from: string }
  | { kind: 'decoded'; text?: string }
  | { kind: 'sensitive'; what: string }
  | { kind: 'file'; path: string };

export const UNKNOWN: Stream = { kind: 'unknown' };

/** A word of the command line after quote removal and escape resolution. */
export interface Word {
  value: string;
  /** Source text of the word. */
  text: string;
  /** Part of the value comes from an expansion or substitution the analyzer cannot evaluate. */
  dynamic: boolean;
  /** The word used quoting or escapes that change how it reads (e.g. `r''m`, `$'\x72m'`). */
  obfuscated: boolean;
  /** Output of command or process substitutions inside the word. */
  streams: Stream[];
  /** Unquoted glob characters remain in the value. */
  glob: boolean;
  /** A parameter expansion or substitution took part, even if its value was known. */
  expanded: boolean;
  /** Part of the value is unknown and kept as source text (e.g. `$DIR`). */
  unresolved: boolean;
  /** Part of the value is the output of a command substitution, known only when it runs. */
  substituted: boolean;
  /** The words bash makes of it by brace expansion (`/{bin,etc}` → `/bin`, `/etc`), when it has braces. */
  fields?: string[];
}

export type SqlHandoff = (text: string, dialect: SqlDialect, via: string[]) => void;

/** State shared by every command of one `assess` call. */
export interface Session {
  findings: Finding[];
  commands: ParsedCommand[];
  /** Static values of variables assigned earlier in the script, in execution order. */
  vars: Map<string, string>;
  /**
   * Files written by downloaders, so that running them later counts as download-and-execute;
   * directories (a `git clone` destination) end with `/` and cover every file under them.
   */
  downloaded: Set<string>;
  /** Functions defined earlier in the script; calling one runs its (already judged) body. */
  functions: Set<string>;
  /** Functions whose body runs themselves in a pipe or in the background: calling one is a fork bomb. */
  selfSpawning: Set<string>;
  /**
   * The working directory after a literal `cd` earlier in the line (absolute, normalised);
   * undefined while the command runs in the agent's own working directory (the project).
   */
  cwd?: string;
  /** The Terraform workspace selected earlier in the line (`terraform workspace select prod`). */
  terraformWorkspace?: string;
  /** Names that mean production (from the policy); see `production.ts`. */
  production: RegExp;
  /**
   * The command being judged, resolved (wrappers unwrapped, words expanded): findings carry its
   * form so an approver sees what the engine read, not only the source text. Formatted only
   * when a finding is emitted.
   */
  current?: CurrentCommand;
  /** Remaining node visits; bounds work on adversarial input. */
  budget: number;
  sql: SqlHandoff;
  /** Re-parses nested shell text (from `bash -c`, `ssh host '…'`, `eval`) one level deeper. */
  reparse: (text: string, scope: Scope, stdin: Stream) => Stream;
  /** Sees the words of every simple command before it runs (word-expansion tests only). */
  observe?: (words: Word[]) => void;
  /** Runs an already split command line (for `find -exec`, interpreter argv lists). */
  run: (words: Word[], text: string, scope: Scope, stdin: Stream) => Stream;
}

/** The command being judged (see `Session.current`). */
export interface CurrentCommand {
  via: string[];
  name: string;
  argv: string[];
  /** Its resolved form, once a finding needed it: every finding about the command shares it. */
  form?: string;
}

/** Where in the nesting of wrappers the analyzer currently is. */
export interface Scope {
  depth: number;
  via: string[];
}

export interface Redirect {
  /** `>`, `>>`, `<`, `&>`, `>&`, `<&`, `>|`. */
  operator: string;
  target: Word;
}

/** One simple command, ready for the command knowledge. */
export interface Invocation {
  /** Program basename after quote removal, e.g. `rm` for `/bin/r''m`. */
  name: string;
  args: Word[];
  argv: string[];
  text: string;
  stdin: Stream;
  redirects: Redirect[];
  scope: Scope;
  session: Session;
}

/**
 * Records a finding. `resolved` is what the finding is about after resolution (a decoded
 * payload, a target resolved against `cd`); absent, the command being judged in its resolved form.
 */
export function emit(session: Session, rule: ShellRuleId, detail: string, resolved?: string): void {
  if (session.findings.length >= 500) return;
  const form = resolved ?? (session.current ? currentForm(session.current) : undefined);
  session.findings.push(
    form ? { rule, detail: clip(detail), resolved: clip(form, 240) } : { rule, detail: clip(detail) },
  );
}

/** The command's resolved form, formatted once however many findings are about it. */
function currentForm(current: CurrentCommand): string {
  if (current.form === undefined) current.form = resolvedForm(current);
  return current.form;
}

/** How a command reads after resolution: the wrapper chain, then the argv (`sudo > sh -c > rm -rf /`). */
export function resolvedForm(command: { via: string[]; name: string; argv: string[] }): string {
  const text = [command.name, ...command.argv.map(quoteForDisplay)].join(' ');
  return command.via.length > 0 ? `${command.via.join(' > ')} > ${text}` : text;
}

function quoteForDisplay(arg: string): string {
  return arg === '' || /[\s'"\\$`]/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : arg;
}

export function clip(text: string, max = 160): string {
  const flat = foldWhitespace(text);
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

export function literalWord(value: string): Word {
  return {
    value,
    text: value,
    dynamic: false,
    obfuscated: false,
    streams: [],
    glob: false,
    expanded: false,
    unresolved: false,
    substituted: false,
  };
}

/** Whether running `path` runs something downloaded earlier in the script (a file, or one in a clone). */
export function wasDownloaded(session: Session, path: string): boolean {
  const normalized = normalizePath(path);
  if (session.downloaded.has(normalized)) return true;
  for (const entry of session.downloaded)
    if (entry.endsWith('/') && normalized.startsWith(entry)) return true;
  return false;
}
