/**
 * Decides whether a WHERE condition selects (practically) every row. Both dialect analyzers
 * translate their expression trees into this small form first, so the judgement is shared.
 *
 * Two strengths: `always` for conditions that are constant-true (`1=1`, `true`, `'a'='a'`,
 * `x = x`, `… OR 1=1`), and `suspicious` for conditions that real tables satisfy on every row
 * even though the database cannot prove it (`id > 0`, `id IS NOT NULL`, `name LIKE '%'`).
 * Anything not understood is `null`: the caller treats the WHERE as a real filter.
 */

export type Expr =
  | { k: 'and'; items: Expr[] }
  | { k: 'or'; items: Expr[] }
  | { k: 'not'; e: Expr }
  | { k: 'cmp'; op: string; l: Expr; r: Expr }
  | { k: 'const'; v: string | number | boolean | null }
  | { k: 'col'; name: string }
  | { k: 'nulltest'; e: Expr; notNull: boolean }
  | { k: 'like'; e: Expr; pattern: Expr; negated: boolean }
  | { k: 'other' };

export interface Tautology {
  strength: 'always' | 'suspicious';
  why: string;
}

const OTHER: Expr = { k: 'other' };
export const other = (): Expr => OTHER;

/** Columns that, by naming convention, are keys and therefore set on every row. */
export function isKeyLike(name: string): boolean {
  const n = (name.split('.').pop() ?? name).toLowerCase();
  return n === 'id' || n === 'pk' || n === 'uuid' || n === 'guid' || n === 'rowid' || n.endsWith('_id');
}

/** Three-valued constant evaluation: true, false, or undefined when it depends on the row. */
function constValue(e: Expr, depth = 0): boolean | undefined {
  if (depth > 64) return undefined;
  switch (e.k) {
    case 'const':
      if (typeof e.v === 'boolean') return e.v;
      if (typeof e.v === 'number') return e.v !== 0;
      return undefined;
    case 'not': {
      const v = constValue(e.e, depth + 1);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      let all = true;
      for (const i of e.items) {
        const v = constValue(i, depth + 1);
        if (v === false) return false;
        if (v !== true) all = false;
      }
      return all ? true : undefined;
    }
    case 'or': {
      let none = true;
      for (const i of e.items) {
        const v = constValue(i, depth + 1);
        if (v === true) return true;
        if (v !== false) none = false;
      }
      return none ? false : undefined;
    }
    case 'cmp':
      return compare(e.op, e.l, e.r);
    case 'nulltest':
      if (e.e.k === 'const') return e.notNull ? e.e.v !== null : e.e.v === null;
      return undefined;
    case 'like':
      if (e.e.k === 'const' && e.pattern.k === 'const' && typeof e.e.v === 'string') {
        if (typeof e.pattern.v === 'string' && /^%+$/.test(e.pattern.v)) return !e.negated;
        if (e.pattern.v === e.e.v && !/[%_\\]/.test(e.e.v)) return !e.negated;
      }
      return undefined;
    default:
      return undefined;
  }
}

function compare(op: string, l: Expr, r: Expr): boolean | undefined {
  if (l.k === 'col' && r.k === 'col' && l.name === r.name) {
    // x = x holds on every row where x is set; the intent is plainly "all rows".
    if (op === '=' || op === '<=' || op === '>=' || op === '<=>') return true;
    if (op === '<>' || op === '!=' || op === '<' || op === '>') return false;
    return undefined;
  }
  if (l.k !== 'const' || r.k !== 'const' || l.v === null || r.v === null) return undefined;
  let a: string | number | boolean = l.v;
  let b: string | number | boolean = r.v;
  if (typeof a !== typeof b) {
    // Numeric strings compare as numbers in both dialects' implicit casts ('1' = 1).
    const na = Number(a);
    const nb = Number(b);
    if (Number.isNaN(na) || Number.isNaN(nb)) return undefined;
    a = na;
    b = nb;
  }
  switch (op) {
    case '=':
    case '==':
    case '<=>':
      return a === b;
    case '<>':
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** `id > 0`, `id >= 1`, `id <> -1`, `0 < id`: true for every row with a positive key. */
function coversAllKeys(e: Expr & { k: 'cmp' }): string | undefined {
  let col: Expr = e.l;
  let val: Expr = e.r;
  let op = e.op;
  if (col.k !== 'col') {
    col = e.r;
    val = e.l;
    op = flip(op);
  }
  if (col.k !== 'col' || val.k !== 'const' || !isKeyLike(col.name)) return undefined;
  const n = typeof val.v === 'number' ? val.v : typeof val.v === 'string' ? Number(val.v) : Number.NaN;
  if (Number.isNaN(n)) return undefined;
  const covers =
    (op === '>' && n <= 0) || (op === '>=' && n <= 1) || ((op === '<>' || op === '!=') && n <= 0);
  return covers ? `${col.name} ${op} ${n}` : undefined;
}

function suspicious(e: Expr, depth = 0): string | undefined {
  if (depth > 64) return undefined;
  switch (e.k) {
    case 'cmp': {
      const cond = coversAllKeys(e);
      return cond === undefined ? undefined : `${cond} holds for every row of a key column`;
    }
    case 'nulltest':
      if (e.notNull && e.e.k === 'col' && isKeyLike(e.e.name)) {
        return `${e.e.name} IS NOT NULL holds for every row of a key column`;
      }
      return undefined;
    case 'like':
      if (!e.negated && e.e.k === 'col' && e.pattern.k === 'const' && typeof e.pattern.v === 'string') {
        if (/^%+$/.test(e.pattern.v)) return `${e.e.name} LIKE '${e.pattern.v}' matches every non-null value`;
      }
      return undefined;
    case 'or':
      for (const i of e.items) {
        const s = suspicious(i, depth + 1) ?? (constValue(i) === true ? 'a constant-true branch' : undefined);
        if (s) return s;
      }
      return undefined;
    case 'and': {
      // Every conjunct must be (near-)universal for the whole condition to be.
      const parts: string[] = [];
      for (const i of e.items) {
        if (constValue(i) === true) continue;
        const s = suspicious(i, depth + 1);
        if (!s) return undefined;
        parts.push(s);
      }
      return parts.length > 0 ? parts.join('; ') : undefined;
    }
    default:
      return undefined;
  }
}

export function tautology(where: Expr): Tautology | null {
  if (constValue(where) === true) return { strength: 'always', why: 'is always true' };
  const s = suspicious(where);
  return s ? { strength: 'suspicious', why: `selects every row (${s})` } : null;
}
