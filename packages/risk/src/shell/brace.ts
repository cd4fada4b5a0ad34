/**
 * Bash brace expansion (`/{bin,etc}`, `x{a..c}`, `{1..10..3}`), the first expansion bash
 * performs and one that no regex over the source text sees: `rm -rf /{bin,etc,usr}` names
 * three system directories although no word of the source is one.
 *
 * Input is a word's *pattern*: its text after quote removal in which every character that came
 * from a quoted part (or an escape) is preceded by a backslash, so that only braces the shell
 * would expand are expanded. Output fields are still in that escaped form.
 */

/** Fields past this many are not produced; the caller treats the word as not fully known. */
export const MAX_BRACE_FIELDS = 256;

export interface BraceExpansion {
  fields: string[];
  /** More fields than MAX_BRACE_FIELDS (e.g. `{1..100000}`): the list is cut. */
  truncated: boolean;
}

export function hasBraces(pattern: string): boolean {
  return pattern.includes('{') && pattern.includes('}');
}

export function expandBraces(pattern: string): BraceExpansion {
  const out: string[] = [];
  const truncated = expandInto(pattern, out);
  return { fields: out, truncated };
}

function expandInto(pattern: string, out: string[]): boolean {
  const group = findGroup(pattern);
  if (!group) {
    out.push(pattern);
    return out.length > MAX_BRACE_FIELDS;
  }
  const prefix = pattern.slice(0, group.start);
  const suffix = pattern.slice(group.end + 1);
  for (const alternative of group.alternatives) {
    if (expandInto(prefix + alternative + suffix, out)) return true;
    if (out.length >= MAX_BRACE_FIELDS) return true;
  }
  return false;
}

interface Group {
  start: number;
  end: number;
  alternatives: string[];
}

/** The leftmost `{…}` that bash expands: a comma list at its top level or a valid sequence. */
function findGroup(pattern: string): Group | undefined {
  for (let start = 0; start < pattern.length; start++) {
    const c = pattern[start];
    if (c === '\\') {
      start++;
      continue;
    }
    // An unquoted `${…}` is a parameter expansion, not a brace group (a quoted `$` was skipped
    // above together with its escape).
    if (c !== '{' || (start > 0 && pattern[start - 1] === '$' && pattern[start - 2] !== '\\')) continue;
    const group = groupAt(pattern, start);
    if (group) return group;
  }
  return undefined;
}

function groupAt(pattern: string, start: number): Group | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let i = start + 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) {
        const body = pattern.slice(start + 1, i);
        if (commas.length > 0) {
          const alternatives: string[] = [];
          let from = start + 1;
          for (const comma of commas) {
            alternatives.push(pattern.slice(from, comma));
            from = comma + 1;
          }
          alternatives.push(pattern.slice(from, i));
          return { start, end: i, alternatives };
        }
        const sequence = expandSequence(body);
        return sequence ? { start, end: i, alternatives: sequence } : undefined;
      }
      depth--;
    } else if (c === ',' && depth === 0) commas.push(i);
  }
  return undefined;
}

/** `{1..5}`, `{10..1..3}`, `{a..e}`, `{01..10}` (zero-padded); anything else is not a sequence. */
function expandSequence(body: string): string[] | undefined {
  const numeric = body.match(/^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/);
  if (numeric) {
    const [, fromText = '', toText = '', stepText] = numeric;
    const from = Number(fromText);
    const to = Number(toText);
    const step = Math.abs(Number(stepText ?? 1)) || 1;
    const width =
      /^-?0\d/.test(fromText) || /^-?0\d/.test(toText) ? Math.max(fromText.length, toText.length) : 0;
    const values: string[] = [];
    for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) {
      const digits = String(Math.abs(v)).padStart(width - (v < 0 ? 1 : 0), '0');
      values.push(v < 0 ? `-${digits}` : digits);
      if (values.length > MAX_BRACE_FIELDS) break;
    }
    return values;
  }
  const letters = body.match(/^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/);
  if (letters) {
    const from = (letters[1] as string).charCodeAt(0);
    const to = (letters[2] as string).charCodeAt(0);
    const step = Math.abs(Number(letters[3] ?? 1)) || 1;
    const values: string[] = [];
    for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) {
      const ch = String.fromCharCode(v);
      // Between `Z` and `a` bash produces the punctuation too; escape what is special in a pattern.
      values.push(/[\\{},]/.test(ch) ? `\\${ch}` : ch);
    }
    return values;
  }
  return undefined;
}

/**
 * Written where a quoted part starts: bash keeps a word that has quotes even when it is empty
 * (`{a,''}` is two words, `{,a}` only one), so emptiness needs to know about quotes.
 */
export const QUOTE_MARK = '\u0001';

// biome-ignore lint/suspicious/noControlCharactersInRegex: QUOTE_MARK is a control character on purpose
const PATTERN_SPECIAL = /[\\{},$\u0001]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: QUOTE_MARK is a control character on purpose
const PATTERN_SPECIAL_ALL = /[\\{},$\u0001]/g;

/** Marks every character of literal text as quoted, so brace expansion leaves it alone. */
export function quotePattern(text: string): string {
  return PATTERN_SPECIAL.test(text) ? text.replace(PATTERN_SPECIAL_ALL, '\\$&') : text;
}

/** Removes the escapes and quote marks of a pattern field: the word's value. */
export function unquotePattern(field: string): string {
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i] as string;
    if (c === '\\' && i + 1 < field.length) out += field[++i];
    else if (c !== QUOTE_MARK) out += c;
  }
  return out;
}

/** A field that bash removes: empty, with no quoted part. */
export function isNullField(field: string): boolean {
  return field === '';
}
