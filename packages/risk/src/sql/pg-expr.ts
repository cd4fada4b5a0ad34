/** Translates libpg-query expression nodes into the shared tautology form. */
import { type Expr, other } from './tautology.ts';
import { isObject, type JsonObject } from './walk.ts';

const TRUE_STRINGS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_STRINGS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** Unwraps `{NodeType: body}` into its type and body. */
export function unwrap(node: unknown): [string, JsonObject] | undefined {
  if (!isObject(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const type = keys[0]!;
  const body = node[type];
  return isObject(body) ? [type, body] : undefined;
}

/** The `sval`s of a list of `{String: {sval}}` nodes (names, operators, qualified identifiers). */
export function strings(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const u = unwrap(item);
    if (u && u[0] === 'String' && typeof u[1].sval === 'string') out.push(u[1].sval);
  }
  return out;
}

export function constOf(body: JsonObject): Expr {
  if (body.isnull === true) return { k: 'const', v: null };
  if (isObject(body.ival)) return { k: 'const', v: typeof body.ival.ival === 'number' ? body.ival.ival : 0 };
  if (isObject(body.fval)) return { k: 'const', v: Number(body.fval.fval ?? 0) };
  if (isObject(body.boolval)) return { k: 'const', v: body.boolval.boolval === true };
  if (isObject(body.sval)) return { k: 'const', v: typeof body.sval.sval === 'string' ? body.sval.sval : '' };
  return other();
}

export function pgExpr(node: unknown, depth = 0): Expr {
  if (depth > 200) return other();
  const u = unwrap(node);
  if (!u) return other();
  const [type, b] = u;
  switch (type) {
    case 'A_Const':
      return constOf(b);
    case 'ColumnRef': {
      const names = strings(b.fields);
      // Qualified, so that `a.id = b.id` (a join) is not mistaken for `id = id`.
      return names.length > 0 ? { k: 'col', name: names.join('.').toLowerCase() } : other();
    }
    case 'BoolExpr': {
      const args = Array.isArray(b.args) ? b.args.map((a) => pgExpr(a, depth + 1)) : [];
      if (b.boolop === 'AND_EXPR') return { k: 'and', items: args };
      if (b.boolop === 'OR_EXPR') return { k: 'or', items: args };
      if (b.boolop === 'NOT_EXPR' && args[0]) return { k: 'not', e: args[0] };
      return other();
    }
    case 'A_Expr': {
      const op = strings(b.name).pop() ?? '';
      if (b.lexpr === undefined || b.rexpr === undefined) return other();
      const l = pgExpr(b.lexpr, depth + 1);
      const r = pgExpr(b.rexpr, depth + 1);
      if (b.kind === 'AEXPR_OP') return { k: 'cmp', op, l, r };
      if (b.kind === 'AEXPR_LIKE' || b.kind === 'AEXPR_ILIKE') {
        return { k: 'like', e: l, pattern: r, negated: op.startsWith('!') };
      }
      return other();
    }
    case 'NullTest':
      return { k: 'nulltest', e: pgExpr(b.arg, depth + 1), notNull: b.nulltesttype === 'IS_NOT_NULL' };
    case 'TypeCast': {
      const inner = pgExpr(b.arg, depth + 1);
      const target = isObject(b.typeName) ? strings(b.typeName.names).pop() : undefined;
      if (target === 'bool' && inner.k === 'const' && typeof inner.v === 'string') {
        const s = inner.v.trim().toLowerCase();
        if (TRUE_STRINGS.has(s)) return { k: 'const', v: true };
        if (FALSE_STRINGS.has(s)) return { k: 'const', v: false };
      }
      return inner;
    }
    default:
      return other();
  }
}
