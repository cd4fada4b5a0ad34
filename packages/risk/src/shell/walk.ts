import type { Node } from 'web-tree-sitter';
import { own } from '../own.ts';
import { checkRedirect, runCommand } from './command.ts';
import type { Redirect, Scope, Session, Stream, Word } from './context.ts';
import { emit, literalWord, UNKNOWN } from './context.ts';
import { checkAssignment } from './knowledge/environment.ts';
import { classifyPath } from './paths.ts';
import { isSpawnerLoop, spawnsItself } from './spawn.ts';
import { resolveWord, type SubstitutionVisitor, WELL_KNOWN } from './words.ts';

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish']);
const SOCKETS = new Set(['nc', 'ncat', 'netcat', 'telnet', 'socat', 'openssl']);

const WORD_TYPES = new Set([
  'word',
  'string',
  'raw_string',
  'ansi_c_string',
  'concatenation',
  'simple_expansion',
  'expansion',
  'number',
  'translated_string',
  'arithmetic_expansion',
  'brace_expression',
  'array',
]);

/**
 * Two syntax nodes with nothing between them are one bash word the grammar split (a parser
 * differential: `cat${IFS}$HOME/x`, `=={a,b}`, `{a,b}$E`). Literal pieces join into one value;
 * when brace expansion or a stray `$` is involved, which expansions bash applies to the whole is
 * not what the pieces say, and the word counts as not understood.
 */
function joinPieces(word: Word, piece: Word, vars: ReadonlyMap<string, string>): void {
  let value = piece.value;
  let unclear =
    word.fields !== undefined || piece.fields !== undefined || piece.unresolved || piece.text === '$';
  // The grammar left the `$` of `$HOME` at the end of the previous piece: the name starts this one.
  const name =
    word.text.endsWith('$') && !word.value.endsWith('$') ? /^[A-Za-z_][A-Za-z0-9_]*/.exec(value) : null;
  if (name) {
    const known = vars.get(name[0]) ?? own(WELL_KNOWN, name[0]);
    if (known === undefined) unclear = true;
    else value = known + value.slice(name[0].length);
    word.expanded = true;
  }
  word.value += value;
  word.text += piece.text;
  word.streams.push(...piece.streams);
  word.dynamic ||= piece.dynamic || unclear;
  word.unresolved ||= unclear;
  word.obfuscated ||= piece.obfuscated;
  word.substituted ||= piece.substituted;
  word.expanded ||= piece.expanded;
  word.glob ||= piece.glob;
  word.fields = undefined;
}

/**
 * The words of one simple command, collected piece by piece. Where the last word ended, a piece
 * that starts right there is part of the same bash word (see `joinPieces`).
 */
class CommandWords {
  readonly words: Word[] = [];
  private end = -1;

  constructor(private readonly vars: ReadonlyMap<string, string>) {}

  /** Adds the word or piece read from `node`. */
  add(piece: Word, node: Node): void {
    this.addAt(piece, node.startIndex, node.endIndex);
  }

  /**
   * Adds a piece whose text is exactly its node's source text, so the node ends at its start plus
   * that length (node positions count UTF-16 units, like the text): one call into the parser fewer.
   */
  addOwnText(piece: Word, node: Node): void {
    this.addAt(piece, node.startIndex, node.startIndex + piece.text.length);
  }

  private addAt(piece: Word, start: number, end: number): void {
    const last = this.words[this.words.length - 1];
    if (last && start === this.end) joinPieces(last, piece, this.vars);
    else this.words.push(piece);
    this.end = end;
  }
}

/**
 * Visits every statement of a bash syntax tree in execution order — pipelines, lists,
 * subshells, compound commands, function bodies, substitutions and heredoc bodies — and hands
 * each simple command to the command knowledge together with what its stdin receives.
 */
export class Walker implements SubstitutionVisitor {
  constructor(private readonly session: Session) {}

  statement(node: Node, scope: Scope, stdin: Stream): Stream {
    if (--this.session.budget < 0) {
      if (this.session.budget === -1)
        emit(this.session, 'shell.too-complex', 'the script has too many syntax nodes');
      return UNKNOWN;
    }
    const type = node.type;
    switch (type) {
      case 'command':
        return this.command(node, scope, stdin, []);
      case 'pipeline':
        return this.pipeline(this.children(node), scope, stdin);
      case 'for_statement': {
        // Judge the body with the loop variable bound to its first literal value.
        const variable = node.childForFieldName('variable')?.text;
        const values = node.childrenForFieldName('value').filter((c): c is Node => c !== null);
        const first = values[0] ? resolveWord(values[0], this.session, scope, this) : undefined;
        for (const value of values.slice(1)) resolveWord(value, this.session, scope, this);
        if (variable && first && !first.unresolved) this.session.vars.set(variable, first.value);
        else if (variable) this.session.vars.delete(variable);
        const body = node.childForFieldName('body');
        if (body) this.statement(body, scope, UNKNOWN);
        return UNKNOWN;
      }
      case 'redirected_statement':
        return this.redirected(node, scope, stdin);
      case 'variable_assignment':
        this.assignment(node, scope, true);
        return UNKNOWN;
      case 'declaration_command':
        return this.declaration(node, scope);
      case 'unset_command':
        for (const child of this.children(node)) {
          const name = child.text;
          checkAssignment(this.session, name, '', 'unset');
          this.session.vars.delete(name);
        }
        return UNKNOWN;
      case 'command_substitution':
      case 'process_substitution':
        return this.substitution(node, scope);
      case 'comment':
        return UNKNOWN;
      case 'function_definition': {
        // The body runs whenever the function is called; judge it as if it ran.
        const body = node.childForFieldName('body');
        const name = node.childForFieldName('name')?.text;
        if (name) this.session.functions.add(name);
        if (name && body && spawnsItself(body, name)) this.session.selfSpawning.add(name);
        if (body) this.statement(body, scope, UNKNOWN);
        return UNKNOWN;
      }
      case 'while_statement':
      case 'c_style_for_statement':
        if (isSpawnerLoop(node))
          emit(
            this.session,
            'shell.resource.fork-bomb',
            `an endless loop starts a background job on every turn: ${node.text}`,
          );
        return this.sequence(this.children(node), scope, stdin);
      default:
        if (WORD_TYPES.has(type)) {
          resolveWord(node, this.session, scope, this, type);
          return UNKNOWN;
        }
        return this.sequence(this.children(node), scope, stdin);
    }
  }

  /** Words hand their substitutions back here (the walker is its own visitor: no closure per walk). */
  visitSubstitution(node: Node, scope: Scope): Stream {
    return this.substitution(node, scope);
  }

  private children(node: Node): Node[] {
    return node.namedChildren.filter((c): c is Node => c !== null);
  }

  private sequence(nodes: Node[], scope: Scope, stdin: Stream): Stream {
    let out: Stream = UNKNOWN;
    for (const child of nodes) out = this.statement(child, scope, nodes.length === 1 ? stdin : UNKNOWN);
    return nodes.length === 1 ? out : UNKNOWN;
  }

  private substitution(node: Node, scope: Scope): Stream {
    emit(
      this.session,
      node.type === 'process_substitution' ? 'shell.process-substitution' : 'shell.command-substitution',
      node.text,
    );
    return this.sequence(this.children(node), scope, UNKNOWN);
  }

  private pipeline(stages: Node[], scope: Scope, stdin: Stream): Stream {
    let stream = stdin;
    const start = this.session.commands.length;
    for (const stage of stages) stream = this.statement(stage, scope, stream);
    // A shell and a socket in one pipeline (the mkfifo pattern) is a reverse shell.
    const names = this.session.commands.slice(start).map((c) => c.name);
    if (names.some((n) => SHELLS.has(n)) && names.some((n) => SOCKETS.has(n))) {
      emit(this.session, 'shell.net.reverse-shell', `pipeline joins ${names.join(' | ')}`);
    }
    return stream;
  }

  private redirected(node: Node, scope: Scope, stdin: Stream): Stream {
    const body = node.childForFieldName('body');
    const redirects: Redirect[] = [];
    const continuations: { node: Node; piped: boolean }[] = [];
    let input = stdin;
    for (const child of this.children(node)) {
      if (child === body || child.id === body?.id) continue;
      if (child.type === 'heredoc_redirect') {
        input = this.heredoc(child, scope, continuations, redirects);
      } else if (child.type === 'herestring_redirect') {
        const content = this.children(child).find((c) => WORD_TYPES.has(c.type));
        const word = content ? resolveWord(content, this.session, scope, this) : literalWord('');
        input = word.dynamic ? UNKNOWN : { kind: 'literal', text: word.value };
      } else if (child.type === 'file_redirect') {
        const redirect = this.fileRedirect(child, scope);
        if (redirect) {
          redirects.push(redirect);
          if (redirect.operator === '<') input = { kind: 'file', path: redirect.target.value };
        }
      } else {
        this.statement(child, scope, UNKNOWN);
      }
    }
    let out: Stream = UNKNOWN;
    if (body?.type === 'command') out = this.command(body, scope, input, redirects);
    else {
      if (body) out = this.statement(body, scope, input);
      for (const redirect of redirects) checkRedirect(this.session, redirect, scope);
      out = this.compoundInput(redirects) ?? out;
    }
    for (const next of continuations) {
      out = next.piped
        ? this.pipelineContinuation(next.node, scope, out)
        : this.statement(next.node, scope, UNKNOWN);
    }
    return out;
  }

  /**
   * A loop or group that reads a credential file on stdin (`while read l; do echo "$l"; done <
   * ~/.aws/credentials`): which inner command consumes it cannot be told, so the statement as
   * a whole reads the file, and what it prints is that secret.
   */
  private compoundInput(redirects: Redirect[]): Stream | undefined {
    const input = redirects.find((r) => r.operator === '<' && classifyPath(r.target.value) === 'credential');
    if (!input) return undefined;
    emit(this.session, 'shell.credential.read', `a compound statement reads ${input.target.value}`);
    return { kind: 'sensitive', what: input.target.value };
  }

  /** `cat <<EOF | psql`: the grammar nests the rest of the pipeline inside the heredoc redirect. */
  private pipelineContinuation(node: Node, scope: Scope, stdin: Stream): Stream {
    if (node.type === 'pipeline') return this.pipeline(this.children(node), scope, stdin);
    return this.statement(node, scope, stdin);
  }

  private heredoc(
    node: Node,
    scope: Scope,
    continuations: { node: Node; piped: boolean }[],
    redirects: Redirect[],
  ): Stream {
    let text = '';
    let piped = false;
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        if (child.text === '|' || child.text === '|&') piped = true;
        continue;
      }
      switch (child.type) {
        case 'heredoc_start':
        case 'heredoc_end':
          break;
        case 'heredoc_body':
          text = child.text;
          // Unquoted heredocs expand `$(…)` when the shell reads them.
          for (const part of this.children(child)) {
            if (part.type === 'command_substitution') this.substitution(part, scope);
            else if (part.type === 'expansion' || part.type === 'simple_expansion') {
              resolveWord(part, this.session, scope, this);
            }
          }
          break;
        case 'file_redirect': {
          // `cat <<EOF > notes.md`: the grammar nests the output redirect in the heredoc's.
          const redirect = this.fileRedirect(child, scope);
          if (redirect) redirects.push(redirect);
          break;
        }
        case 'herestring_redirect':
          break;
        default:
          continuations.push({ node: child, piped: piped || child.type === 'pipeline' });
          piped = false;
      }
    }
    return { kind: 'literal', text };
  }

  private fileRedirect(node: Node, scope: Scope): Redirect | undefined {
    const destination =
      node.childForFieldName('destination') ?? this.children(node).find((c) => WORD_TYPES.has(c.type));
    let operator = '>';
    for (const child of node.children) {
      if (child && !child.isNamed) operator = child.text;
    }
    if (!destination) return undefined;
    const target: Word = resolveWord(destination, this.session, scope, this);
    return { operator, target };
  }

  private assignment(node: Node, scope: Scope, persistent: boolean, declaration = ''): void {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    const name = nameNode?.text ?? '';
    const value = valueNode ? resolveWord(valueNode, this.session, scope, this) : literalWord('');
    checkAssignment(this.session, name, value.value, declaration || 'assignment', scope);
    if (!persistent) return;
    if (value.dynamic || valueNode?.type === 'array') this.session.vars.delete(name);
    else this.session.vars.set(name, value.value);
  }

  private declaration(node: Node, scope: Scope): Stream {
    const keyword = node.child(0)?.text ?? 'declare';
    for (const child of this.children(node)) {
      if (child.type === 'variable_assignment') this.assignment(child, scope, true, keyword);
      else if (child.type === 'variable_name') checkAssignment(this.session, child.text, undefined, keyword);
      else this.statement(child, scope, UNKNOWN);
    }
    return UNKNOWN;
  }

  private command(node: Node, scope: Scope, stdin: Stream, outerRedirects: Redirect[]): Stream {
    const pieces = new CommandWords(this.session.vars);
    const words = pieces.words;
    const redirects = [...outerRedirects];
    let input = stdin;
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        // The grammar sometimes leaves part of a word as an anonymous token (`==x`, `{a,b}$E`).
        if (words.length > 0) pieces.addOwnText(literalWord(child.text), child);
        continue;
      }
      const type = child.type;
      switch (type) {
        case 'variable_assignment':
          // A prefix assignment only affects this command's environment.
          this.assignment(child, scope, false, 'prefix');
          break;
        case 'command_name': {
          const inner = child.namedChild(0);
          if (inner) pieces.add(resolveWord(inner, this.session, scope, this), child);
          break;
        }
        case 'file_redirect': {
          const redirect = this.fileRedirect(child, scope);
          if (redirect) {
            redirects.push(redirect);
            if (redirect.operator === '<') input = { kind: 'file', path: redirect.target.value };
          }
          break;
        }
        case 'herestring_redirect': {
          const content = this.children(child).find((c) => WORD_TYPES.has(c.type));
          const word = content ? resolveWord(content, this.session, scope, this) : literalWord('');
          input = word.dynamic ? UNKNOWN : { kind: 'literal', text: word.value };
          break;
        }
        case 'comment':
          break;
        default:
          if (words.length > 0) pieces.addOwnText(resolveWord(child, this.session, scope, this, type), child);
          else this.statement(child, scope, UNKNOWN);
      }
    }
    if (words.length === 0) {
      for (const redirect of redirects) checkRedirect(this.session, redirect, scope);
      return UNKNOWN;
    }
    return runCommand(this.session, words, node.text, scope, input, redirects);
  }
}
