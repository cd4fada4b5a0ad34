import type { Node } from 'web-tree-sitter';
import { own } from '../own.ts';
import { expandBraces, hasBraces, isNullField, QUOTE_MARK, quotePattern, unquotePattern } from './brace.ts';
import type { Scope, Session, Stream, Word } from './context.ts';
import { emit } from './context.ts';
import { expandParameter } from './parameter.ts';

/** Visits a substitution's commands (they run) and returns what they print. */
export interface SubstitutionVisitor {
  visitSubstitution(node: Node, scope: Scope): Stream;
}

/** Variables whose value the analyzer treats as known without seeing an assignment. */
export const WELL_KNOWN: Record<string, string> = { HOME: '~' };

/** Variables that always hold an absolute path (or a list starting with one): they start with `/`. */
const ABSOLUTE_PATH_VARIABLES = new Set(['HOME', 'PWD', 'OLDPWD', 'PATH', 'SHELL']);

const SUBSTRING = /^\$\{([A-Za-z_][A-Za-z0-9_]*):\s*(\d+)(?::\s*(\d+))?\}$/;

/**
 * `${NAME:offset:length}` when its value is knowable: from a variable assigned earlier, or the
 * leading `/` of a path variable. Slicing characters out of `$HOME` or `$PATH` is how a filter
 * that looks for `/etc/shadow` is evaded (`cat ${HOME:0:1}etc${HOME:0:1}shadow`).
 */
function substringValue(text: string, session: Session): string | undefined {
  const m = text.match(SUBSTRING);
  if (!m) return undefined;
  const [, name = '', offsetText = '0', lengthText] = m;
  const offset = Number(offsetText);
  const length = lengthText === undefined ? undefined : Number(lengthText);
  const known = session.vars.get(name);
  if (known !== undefined) return known.slice(offset, length === undefined ? undefined : offset + length);
  if (ABSOLUTE_PATH_VARIABLES.has(name) && offset === 0 && length === 1) return '/';
  return undefined;
}

/**
 * Resolves a word node the way bash would before running the command: quotes removed,
 * escapes decoded, known variables substituted. What cannot be known is kept as source text
 * and flagged `dynamic` so that callers never mistake it for a literal.
 */
export function resolveWord(
  node: Node,
  session: Session,
  scope: Scope,
  visit: SubstitutionVisitor,
  type = node.type,
): Word {
  const text = node.text;
  const word: Word = {
    value: '',
    text,
    dynamic: false,
    obfuscated: false,
    streams: [],
    glob: false,
    expanded: false,
    unresolved: false,
    substituted: false,
  };
  const pattern: Pattern = { text: '' };
  appendNode(word, node, type, { session, scope, visit, pattern }, false, text);
  if (!word.unresolved && hasBraces(pattern.text)) {
    const expansion = expandBraces(pattern.text);
    if (expansion.truncated) {
      word.dynamic = true;
      word.unresolved = true;
    } else if (expansion.fields.length > 1 || expansion.fields[0] !== pattern.text) {
      if (pattern.bareVariable) {
        word.dynamic = true;
        word.unresolved = true;
      } else word.fields = expansion.fields.filter((f) => !isNullField(f)).map(unquotePattern);
    }
  } else if (word.value === '' && word.expanded && !word.unresolved && !pattern.text.includes(QUOTE_MARK)) {
    // An unquoted expansion that produces nothing is no word at all (`rm -rf $EMPTY /`).
    word.fields = [];
  }
  return word;
}

/** A glob character, and one that no backslash escapes (the first test is the cheap one). */
const GLOB_CHARACTER = /[*?[]/;
const UNESCAPED_GLOB = /(^|[^\\])[*?[]/;

const QUOTING_NODES = new Set(['raw_string', 'string', 'translated_string', 'ansi_c_string']);
const PATTERN_BY_SOURCE = new Set([
  'word',
  'brace_expression',
  'string',
  'translated_string',
  'concatenation',
]);

/**
 * The word's text for brace expansion: unquoted source as written, everything else (quoted
 * parts, expansion results) escaped so that only braces bash would expand are expanded.
 */
interface Pattern {
  text: string;
  /**
   * An unquoted `$NAME` took part. Bash expands braces before variables, so `$V{a,b}` reads the
   * variables `Va` and `Vb`; the engine, which expands variables first, cannot follow that.
   */
  bareVariable?: boolean;
}

/**
 * What stays the same while one word is resolved. Every node of the word is visited with its
 * type (and, for the word's own node, its text) read once: each read is a call into the parser.
 */
interface Resolution {
  session: Session;
  scope: Scope;
  visit: SubstitutionVisitor;
  pattern: Pattern;
}

/** Appends a node of type `type`; `text` is its source text when the caller has already read it. */
function appendNode(word: Word, node: Node, type: string, r: Resolution, quoted: boolean, text?: string) {
  const pattern = r.pattern;
  const before = word.value.length;
  if (QUOTING_NODES.has(type)) pattern.text += QUOTE_MARK;
  appendValue(word, node, type, r, quoted, text);
  // Unquoted words and brace sequences add their source text themselves (see appendValue);
  // strings and concatenations add their parts.
  const bySource =
    PATTERN_BY_SOURCE.has(type) && !(quoted && (type === 'word' || type === 'brace_expression'));
  if (!bySource) pattern.text += quotePattern(word.value.slice(before));
}

function appendValue(word: Word, node: Node, type: string, r: Resolution, quoted: boolean, known?: string) {
  const { session, scope, visit, pattern } = r;
  switch (type) {
    case 'word': {
      const text = known ?? node.text;
      const unescaped = unescapeBare(text);
      if (!quoted) pattern.text += text.includes('\\\n') ? text.replace(/\\\n/g, '') : text;
      if (!quoted && GLOB_CHARACTER.test(text) && UNESCAPED_GLOB.test(text)) word.glob = true;
      if (unescaped !== text && !(text.startsWith('\\') && text.indexOf('\\', 1) === -1))
        word.obfuscated = true;
      word.value += unescaped;
      return;
    }
    case 'brace_expression': {
      // `{1..3}`: expanded from the pattern once the whole word is known.
      const text = known ?? node.text;
      word.value += text;
      if (!quoted) pattern.text += text;
      return;
    }
    case 'raw_string':
      word.value += (known ?? node.text).slice(1, -1);
      return;
    case 'ansi_c_string': {
      const inner = (known ?? node.text).slice(2, -1);
      if (/(^|[^\\])(\\\\)*\\$/.test(inner)) {
        // The grammar ended the string at an escaped quote (`$'\''`): what follows is misread,
        // so the word is not known rather than wrong.
        word.dynamic = true;
        word.unresolved = true;
      }
      const decoded = decodeAnsiC(inner);
      if (decoded !== inner) word.obfuscated = true;
      word.value += decoded;
      return;
    }
    case 'string':
    case 'translated_string': {
      // The grammar leaves some literal text (newlines, for one) outside every child node, so
      // the gaps between children are read from the source.
      const source = known ?? node.text;
      // Only whitespace next to a quote or a `$`, and newlines, fall outside the children; other
      // strings take the plain path (positions cost calls into the parser).
      const exact = /\n|^\$?"\s|\s"$|\s\$/.test(source);
      let cursor = 0;
      for (const child of node.children) {
        if (!child) continue;
        const childType = child.type;
        if (!exact) {
          if (childType === '"' || childType === '$"') continue;
          const begin = word.value.length;
          if (childType === 'string_content') word.value += unescapeDouble(child.text);
          else if (child.isNamed) appendValue(word, child, childType, r, true);
          else word.value += child.text;
          pattern.text += quotePattern(word.value.slice(begin));
          continue;
        }
        const offset = child.startIndex - node.startIndex;
        if (offset > cursor && cursor > 0) {
          const gap = unescapeDouble(source.slice(cursor, offset));
          word.value += gap;
          pattern.text += quotePattern(gap);
        }
        cursor = Math.max(cursor, child.endIndex - node.startIndex);
        if (childType === '"' || childType === '$"') {
          // A quote token can carry whitespace next to it (`" $V"`, `" "`): that is content.
          const token = child.text;
          const content =
            offset === 0 ? token.slice(token.indexOf('"') + 1) : token.slice(0, token.lastIndexOf('"'));
          if (content !== '') {
            word.value += unescapeDouble(content);
            pattern.text += quotePattern(unescapeDouble(content));
          }
          continue;
        }
        const start = word.value.length;
        if (childType === 'string_content') word.value += unescapeDouble(child.text);
        else if (child.isNamed) {
          // An expansion's token can carry the whitespace before its `$` (`" $V"`): content.
          const lead = /^\s+/.exec(child.text)?.[0];
          if (lead) word.value += lead;
          appendValue(word, child, childType, r, true);
        } else word.value += child.text;
        pattern.text += quotePattern(word.value.slice(start));
      }
      return;
    }
    case 'concatenation':
      for (const child of node.namedChildren) {
        if (!child) continue;
        const childType = child.type;
        appendNode(word, child, childType, r, quoted);
        if (childType === 'raw_string' || childType === 'string' || childType === 'ansi_c_string')
          word.obfuscated = true;
      }
      return;
    case 'simple_expansion':
    case 'expansion':
      if (type === 'simple_expansion' && !quoted) pattern.bareVariable = true;
      appendExpansion(word, node, type, session, scope, visit, known);
      return;
    case 'command_substitution':
    case 'process_substitution': {
      const stream = visit.visitSubstitution(node, scope);
      word.streams.push(stream);
      word.dynamic = true;
      if (type === 'command_substitution') word.substituted = true;
      word.expanded = true;
      if (type === 'command_substitution' && stream.kind === 'literal') word.value += stream.text.trim();
      else {
        word.value += known ?? node.text;
        word.unresolved = true;
      }
      return;
    }
    case 'number':
      word.value += known ?? node.text;
      return;
    default:
      // Arithmetic, arrays, brace ranges: the value is not evaluated, but substitutions inside run.
      word.dynamic = true;
      word.unresolved = true;
      for (const child of node.namedChildren) {
        const childType = child?.type;
        if (child && (childType === 'command_substitution' || childType === 'process_substitution')) {
          word.streams.push(visit.visitSubstitution(child, scope));
          if (childType === 'command_substitution') word.substituted = true;
        }
      }
      word.value += known ?? node.text;
  }
}

function appendExpansion(
  word: Word,
  node: Node,
  type: string,
  session: Session,
  scope: Scope,
  visit: SubstitutionVisitor,
  known?: string,
) {
  const children = node.namedChildren.filter((c): c is Node => c !== null);
  const childTypes = children.map((c) => c.type);
  const nameIndex = childTypes.findIndex((t) => t === 'variable_name' || t === 'special_variable_name');
  const name = nameIndex === -1 ? undefined : children[nameIndex]?.text;
  // `${…}` forms are read from their source text; a plain `$NAME` needs only its name.
  const braced = type === 'simple_expansion' ? undefined : (known ?? node.text);
  const plain = braced === undefined || (children.length === 1 && braced === `\${${name}}`);
  if (name === 'IFS') {
    emit(session, 'shell.ifs-expansion', braced ?? known ?? node.text);
    word.value += ' ';
    word.dynamic = true;
    word.expanded = true;
    return;
  }
  // Substitutions in default values (`${X:-$(cmd)}`) run too.
  for (let i = 0; i < children.length; i++) {
    const childType = childTypes[i];
    if (childType === 'command_substitution' || childType === 'process_substitution') {
      word.streams.push(visit.visitSubstitution(children[i] as Node, scope));
      if (childType === 'command_substitution') word.substituted = true;
    }
  }
  word.expanded = true;
  const slice =
    plain || braced === undefined
      ? undefined
      : (substringValue(braced, session) ?? expandParameter(braced, (n) => session.vars.get(n)));
  if (slice !== undefined) {
    word.value += slice;
    word.obfuscated = true;
    return;
  }
  if (plain && name !== undefined) {
    const known = session.vars.get(name) ?? own(WELL_KNOWN, name);
    if (known !== undefined) {
      word.value += known;
      if (own(WELL_KNOWN, name) === undefined) word.obfuscated = true;
      return;
    }
  }
  word.dynamic = true;
  word.unresolved = true;
  word.value += braced ?? known ?? node.text;
}

/** Quote removal for an unquoted word: a backslash escapes the next character; `\`+newline vanishes. */
export function unescapeBare(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i];
      if (next !== '\n') out += next;
    } else {
      out += c;
    }
  }
  return out;
}

/** Inside double quotes a backslash only escapes `$`, backtick, `"`, `\` and newline. */
function unescapeDouble(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

const ESCAPES = [
  /^x([0-9a-fA-F]{1,2})/,
  /^u([0-9a-fA-F]{1,4})/,
  /^U([0-9a-fA-F]{1,8})/,
  /^([0-7]{1,3})/,
  /^c(.)/,
];

function decodeEscape(match: RegExpMatchArray): string {
  const digits = match[1] as string;
  switch (match[0][0]) {
    case 'x':
    case 'u':
      return String.fromCharCode(Number.parseInt(digits, 16));
    case 'U': {
      const code = Number.parseInt(digits, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    case 'c':
      return String.fromCharCode(digits.charCodeAt(0) & 0x1f);
    default:
      return String.fromCharCode(Number.parseInt(digits, 8) & 0xff);
  }
}

/** Decodes the body of a `$'…'` string the way bash does. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const next = body[i + 1] as string;
    const simple = own(SIMPLE_ESCAPES, next);
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const rest = body.slice(i + 1);
    const match = ESCAPES.map((re) => rest.match(re)).find((m): m is RegExpMatchArray => m !== null) ?? null;
    if (match) {
      out += decodeEscape(match);
      i += match[0].length;
    } else {
      out += `\\${next}`;
      i++;
    }
  }
  return out;
}
