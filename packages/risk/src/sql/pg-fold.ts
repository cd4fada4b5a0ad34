import { constOf, strings, unwrap } from './pg-expr.ts';

/**
 * Folds the string expression of a PL/pgSQL `EXECUTE` into the SQL it builds, as far as it is
 * known statically: literals, `||`, `format('DROP TABLE %I', 'users')`, `concat`, `concat_ws`,
 * `quote_ident`, `quote_literal`, casts. Parts known only at run time (a loop variable, a
 * parameter) become the placeholder identifier `UNKNOWN_NAME`, so `'DROP TABLE ' || r.tablename`
 * still reads as a DROP TABLE; `complete` says whether every part was known.
 */
export const UNKNOWN_NAME = 'gatehouse_unknown';

export interface Folded {
  text: string;
  complete: boolean;
}

export function foldString(node: unknown): Folded {
  const u = unwrap(node);
  if (!u) return unknown();
  const [type, b] = u;
  switch (type) {
    case 'A_Const': {
      const c = constOf(b);
      if (c.k === 'const' && (typeof c.v === 'string' || typeof c.v === 'number'))
        return { text: String(c.v), complete: true };
      return unknown();
    }
    case 'TypeCast':
      return foldString(b.arg);
    case 'A_Expr':
      if (b.kind === 'AEXPR_OP' && strings(b.name).join() === '||')
        return join([foldString(b.lexpr), foldString(b.rexpr)]);
      return unknown();
    case 'FuncCall':
      return foldCall(strings(b.funcname).pop()?.toLowerCase() ?? '', Array.isArray(b.args) ? b.args : []);
    default:
      return unknown();
  }
}

function unknown(): Folded {
  return { text: UNKNOWN_NAME, complete: false };
}

function join(parts: Folded[], separator = ''): Folded {
  return { text: parts.map((p) => p.text).join(separator), complete: parts.every((p) => p.complete) };
}

function foldCall(name: string, args: unknown[]): Folded {
  const folded = args.map(foldString);
  switch (name) {
    case 'format':
      return folded[0] ? format(folded[0], folded.slice(1)) : unknown();
    case 'concat':
      return join(folded);
    case 'concat_ws':
      return folded[0] ? join(folded.slice(1), folded[0].text) : unknown();
    case 'quote_ident':
    case 'quote_nullable':
    case 'quote_literal':
      return folded[0]
        ? {
            text: name === 'quote_ident' ? folded[0].text : `'${folded[0].text.replace(/'/g, "''")}'`,
            complete: folded[0].complete,
          }
        : unknown();
    case 'lower':
    case 'upper':
    case 'btrim':
    case 'trim':
      return folded[0] ?? unknown();
    default:
      return unknown();
  }
}

/** PostgreSQL's `format()`: `%s`, `%I`, `%L`, `%%`, with `%n$` positions. */
function format(template: Folded, args: Folded[]): Folded {
  if (!template.complete) return unknown();
  let next = 0;
  let complete = true;
  const text = template.text.replace(
    /%(?:(\d+)\$)?(-?\d*)([sIL%])/g,
    (_, position: string | undefined, _width, kind: string) => {
      if (kind === '%') return '%';
      const arg = args[position ? Number(position) - 1 : next++];
      if (!arg) {
        complete = false;
        return UNKNOWN_NAME;
      }
      complete &&= arg.complete;
      return kind === 'L' ? `'${arg.text.replace(/'/g, "''")}'` : arg.text;
    },
  );
  return { text, complete };
}
