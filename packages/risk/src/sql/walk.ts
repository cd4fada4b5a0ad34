/**
 * Generic, iterative AST walk. Both parsers produce plain JSON trees; walking every object
 * (rather than known fields) means a dangerous call nested in a subquery, a CTE, a function
 * argument or a field we did not anticipate is still seen. Iterative so that adversarially
 * deep nesting cannot overflow the call stack.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Visits every object in the tree, depth first. `visit` receives the object, the key under
 * which it was found and the context of its parent; it returns the context for the object's
 * children, or `null` to skip them (used when a subtree is analysed separately).
 */
export function walk<C>(
  root: unknown,
  ctx: C,
  visit: (node: JsonObject, key: string, ctx: C) => C | null,
): void {
  const stack: Array<[unknown, string, C]> = [[root, '', ctx]];
  while (stack.length > 0) {
    const [value, key, parentCtx] = stack.pop()!;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], key, parentCtx]);
      continue;
    }
    if (!isObject(value)) continue;
    const childCtx = visit(value, key, parentCtx);
    if (childCtx === null) continue;
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const child = value[k];
      if (typeof child === 'object' && child !== null) stack.push([child, k, childCtx]);
    }
  }
}
