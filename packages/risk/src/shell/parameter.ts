/**
 * Parameter expansion of variables whose value is known statically (assigned earlier in the
 * script): `${X:-default}`, `${X#prefix}`, `${X%%.*}`, `${X/a/b}`, `${X^^}`, `${#X}`,
 * `${X:1:2}`. `X=/etc/shadow.bak; cat ${X%.bak}` reads the shadow file; only the value bash
 * would produce may be judged. Operands must be literal (no `$`, quotes or substitutions);
 * anything else returns undefined and the caller keeps the word unknown.
 */

export type Lookup = (name: string) => string | undefined;

const FORM = /^\$\{(#?)([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+?]|##?|%%?|\/#|\/%|\/\/?|\^\^?|,,?|:)([\s\S]*))?\}$/;

export function expandParameter(text: string, lookup: Lookup): string | undefined {
  const m = text.match(FORM);
  if (!m) return undefined;
  const [, length, name = '', operator, operand = ''] = m;
  if (/[$`"'\\]/.test(operand)) return undefined;
  const value = lookup(name);
  if (length) return operator === undefined && value !== undefined ? String([...value].length) : undefined;
  if (operator === undefined) return value;
  // A variable not assigned in the script may still be set in the environment the command runs
  // in, so "unset" is never assumed: `${TARGET:-build}` is unknown unless TARGET was assigned.
  switch (operator) {
    case ':-':
      return value === undefined ? undefined : value === '' ? operand : value;
    case '-':
      return value;
    case ':+':
      return value === undefined ? undefined : value === '' ? '' : operand;
    case '+':
      return value === undefined ? undefined : operand;
    case ':=':
    case '=':
    case ':?':
    case '?':
      // Assigning or failing on an unset variable depends on the environment unless it is known.
      return value !== undefined && !(operator.startsWith(':') && value === '') ? value : undefined;
  }
  if (value === undefined) return undefined;
  switch (operator) {
    case '#':
    case '##':
      return removePrefix(value, operand, operator === '##');
    case '%':
    case '%%':
      return removeSuffix(value, operand, operator === '%%');
    case '/':
    case '//':
    case '/#':
    case '/%':
      return replace(value, operand, operator);
    case '^^':
      return operand === '' ? value.toUpperCase() : undefined;
    case ',,':
      return operand === '' ? value.toLowerCase() : undefined;
    case '^':
      return operand === '' ? value.charAt(0).toUpperCase() + value.slice(1) : undefined;
    case ',':
      return operand === '' ? value.charAt(0).toLowerCase() + value.slice(1) : undefined;
    case ':':
      return substring(value, operand);
  }
  return undefined;
}

function substring(value: string, operand: string): string | undefined {
  const m = operand.match(/^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/);
  if (!m) return undefined;
  const offset = Number(m[1]);
  return m[2] === undefined ? value.slice(offset) : value.slice(offset, offset + Number(m[2]));
}

/** A bash pattern (`*`, `?`, `[…]`) as an anchored-nowhere regular expression body. */
function patternSource(pattern: string, greedy: boolean): string | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += greedy ? '[\\s\\S]*' : '[\\s\\S]*?';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        if (/\[:/.test(body)) return undefined;
        re += `[${body.replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return re;
}

function removePrefix(value: string, pattern: string, longest: boolean): string | undefined {
  const source = patternSource(pattern, longest);
  if (source === undefined) return undefined;
  // Shortest or longest prefix that matches the whole pattern.
  const candidates = [...Array(value.length + 1).keys()];
  if (longest) candidates.reverse();
  const re = new RegExp(`^(?:${source})$`);
  for (const n of candidates) if (re.test(value.slice(0, n))) return value.slice(n);
  return value;
}

function removeSuffix(value: string, pattern: string, longest: boolean): string | undefined {
  const source = patternSource(pattern, longest);
  if (source === undefined) return undefined;
  const candidates = [...Array(value.length + 1).keys()].map((n) => value.length - n);
  if (longest) candidates.reverse();
  const re = new RegExp(`^(?:${source})$`);
  for (const start of candidates) if (re.test(value.slice(start))) return value.slice(0, start);
  return value;
}

function replace(value: string, operand: string, operator: string): string | undefined {
  const slash = operand.indexOf('/');
  const pattern = slash === -1 ? operand : operand.slice(0, slash);
  const replacement = slash === -1 ? '' : operand.slice(slash + 1);
  if (pattern === '') return value;
  const source = patternSource(pattern, true);
  if (source === undefined) return undefined;
  if (operator === '/#') {
    for (let n = value.length; n >= 0; n--)
      if (new RegExp(`^(?:${source})$`).test(value.slice(0, n))) return replacement + value.slice(n);
    return value;
  }
  if (operator === '/%') {
    for (let start = 0; start <= value.length; start++)
      if (new RegExp(`^(?:${source})$`).test(value.slice(start))) return value.slice(0, start) + replacement;
    return value;
  }
  // Longest match at the leftmost position, as bash does.
  let out = '';
  let i = 0;
  let replaced = false;
  while (i <= value.length) {
    let matched = -1;
    if (!(replaced && operator === '/')) {
      for (let end = value.length; end > i; end--) {
        if (new RegExp(`^(?:${source})$`).test(value.slice(i, end))) {
          matched = end;
          break;
        }
      }
    }
    if (matched > i) {
      out += replacement;
      i = matched;
      replaced = true;
      continue;
    }
    if (i < value.length) out += value[i];
    i++;
  }
  return out;
}
