import shellQuote from 'shell-quote';
import type { Analysis, Finding, ParsedCommand } from '../types.ts';
import { expandBraces } from './brace.ts';
import { runArgv } from './command.ts';
import type { Scope, Session, SqlHandoff, Stream, Word } from './context.ts';
import { emit, literalWord, UNKNOWN } from './context.ts';
import type { BashParser } from './parser.ts';
import { productionMatcher } from './production.ts';
import { Walker } from './walk.ts';

export interface ShellAnalyzerOptions {
  /** Names that mean production (policy `production.names`). */
  productionNames?: readonly string[];
}

/** Wrappers inside wrappers (`sudo bash -c "ssh h 'sh -c …'"`) are followed this deep. */
export const MAX_NESTING = 8;
/** Syntax nodes visited per assessment, across all nesting levels. */
const NODE_BUDGET = 20_000;

/**
 * The shell analyzer: parses with the bash grammar, walks every command, and reports the
 * commands it understood and the findings of the command knowledge.
 */
export class ShellAnalyzer {
  private readonly production: RegExp;

  constructor(
    private readonly parser: BashParser,
    private readonly sql: SqlHandoff,
    options: ShellAnalyzerOptions = {},
  ) {
    this.production = productionMatcher(options.productionNames);
  }

  analyze(text: string): Analysis {
    return this.run(text).analysis;
  }

  /**
   * The fields bash would pass to the last simple command of `script` (after brace expansion,
   * quote removal and parameter expansion of variables the script assigns), or `unknown` when
   * some word cannot be expanded statically (a glob, an unassigned variable, a substitution).
   * Used by the differential test against the real bash; no part of an assessment.
   */
  expandLastCommand(script: string): { fields: string[] } | { unknown: string } {
    let last: Word[] = [];
    const { analysis } = this.run(script, (words) => {
      last = words;
    });
    // Where the grammar itself gave up, no word of the line is trustworthy.
    const error = analysis.findings.find((f) => f.rule === 'shell.parse-error');
    if (error) return { unknown: error.detail };
    const unknown = last.find((w) => w.dynamic || w.unresolved || w.glob);
    if (unknown) return { unknown: unknown.text };
    return { fields: last.flatMap((w) => w.fields ?? [w.value]) };
  }

  private run(text: string, observe?: (words: Word[]) => void): { analysis: Analysis } {
    const session = new AnalysisSession(this, this.production, this.sql, observe);
    this.parseAndWalk(text, { depth: 0, via: [] }, UNKNOWN, session);
    return { analysis: { commands: session.commands, findings: session.findings } };
  }

  /** Parses `text` and walks it in `session`; also how the session re-parses nested shell text. */
  parseAndWalk(text: string, scope: Scope, stdin: Stream, session: Session): Stream {
    if (scope.depth > MAX_NESTING) {
      emit(
        session,
        'shell.nesting-too-deep',
        `more than ${MAX_NESTING} nested wrappers (${scope.via.join(' > ')})`,
      );
      return UNKNOWN;
    }
    if (text.trim() === '') return UNKNOWN;
    // Bash removes backslash-newline before splitting words; the grammar treats it as a word
    // break, so `r\<newline>m` would read as `r` and `m`. Join the lines first, as bash does.
    const tree = this.parser.parse(joinContinuations(text));
    if (!tree) {
      emit(session, 'shell.parse-error', 'the bash parser gave up on this input');
      this.fallback(text, scope, session);
      return UNKNOWN;
    }
    try {
      const root = tree.rootNode;
      if (root.hasError) {
        emit(session, 'shell.parse-error', describeError(root.text, firstError(root)));
        this.fallback(text, scope, session);
      }
      return new Walker(session).statement(root, scope, stdin);
    } finally {
      tree.delete();
    }
  }

  /**
   * Defence in depth for text bash rejects: tokenise each line and run it through the command
   * knowledge too (after brace expansion, which is how `{rm,-rf,/}` evades a parser), so that
   * a syntax error cannot hide a destructive command. The parse error itself keeps it ≥ review.
   */
  private fallback(text: string, scope: Scope, session: Session): void {
    const via = { depth: scope.depth, via: [...scope.via, 'unparsed'] };
    for (const line of text.split(/\n|;|&&|\|\|/).slice(0, 50)) {
      let tokens: string[];
      try {
        tokens = shellQuote.parse(line).filter((t): t is string => typeof t === 'string');
      } catch {
        continue;
      }
      const words = tokens.flatMap(braceFields).map(literalWord);
      if (words.length > 0) {
        const before = session.commands.length;
        runArgv(session, words, line.trim(), via, UNKNOWN);
        session.commands.length = Math.min(session.commands.length, before + 5);
      }
    }
  }
}

/**
 * The state of one `analyze` call. A class rather than an object literal with arrow functions:
 * `reparse` and `run` are methods, so no closure is made per call. (Under tsx, esbuild's
 * `keepNames` also gives every closure bound to a name a `defineProperty` call when it is
 * created, some 0.3 µs each: hot paths avoid named closures.)
 */
class AnalysisSession implements Session {
  readonly findings: Finding[] = [];
  readonly commands: ParsedCommand[] = [];
  readonly vars = new Map<string, string>();
  readonly downloaded = new Set<string>();
  readonly functions = new Set<string>();
  readonly selfSpawning = new Set<string>();
  budget = NODE_BUDGET;
  cwd?: string;
  terraformWorkspace?: string;
  current?: Session['current'];

  constructor(
    private readonly analyzer: ShellAnalyzer,
    readonly production: RegExp,
    readonly sql: SqlHandoff,
    readonly observe?: (words: Word[]) => void,
  ) {}

  reparse(text: string, scope: Scope, stdin: Stream): Stream {
    return this.analyzer.parseAndWalk(text, scope, stdin, this);
  }

  run(words: Word[], text: string, scope: Scope, stdin: Stream): Stream {
    return runArgv(this, words, text, scope, stdin);
  }
}

function joinContinuations(text: string): string {
  return text.includes('\\\n') ? text.replace(/(^|[^\\])((?:\\\\)*)\\\n/g, '$1$2') : text;
}

function braceFields(token: string): string[] {
  // shell-quote already removed the quotes, so every brace left is one bash would expand.
  return expandBraces(token.replace(/\\/g, '\\\\')).fields.map((f) => f.replace(/\\([\s\S])/g, '$1'));
}

interface ErrorNode {
  type: string;
  isMissing: boolean;
  hasError: boolean;
  startPosition: { row: number; column: number };
  namedChildren: (ErrorNode | null)[];
  children: (ErrorNode | null)[];
}

function firstError(node: ErrorNode): ErrorNode | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const child of node.children) {
    if (child?.hasError || child?.isMissing) {
      const found = firstError(child);
      if (found) return found;
    }
  }
  return undefined;
}

function describeError(_text: string, node: ErrorNode | undefined): string {
  if (!node) return 'bash syntax error';
  const where = `line ${node.startPosition.row + 1}, column ${node.startPosition.column + 1}`;
  return node.isMissing
    ? `bash syntax error: missing ${node.type} at ${where}`
    : `bash syntax error at ${where}`;
}
