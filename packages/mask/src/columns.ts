/**
 * Column-name rules. Names compare case-insensitively; `*` matches any run of characters and
 * `?` one character, so `*_token` covers `access_token` and `refresh_token`.
 */
export type ColumnMatcher = (name: string) => boolean;

export function compileColumns(patterns: readonly string[]): ColumnMatcher {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    if (!/[*?]/.test(p)) {
      exact.add(p);
      continue;
    }
    // Consecutive stars collapse so a pattern like `**a**` cannot cost more than `*a*`.
    const source = p
      .replace(/\*+/g, '*')
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    globs.push(new RegExp(`^${source}$`, 's'));
  }
  return (name: string) => {
    const n = normalizeColumnName(name);
    if (exact.has(n)) return true;
    for (const g of globs) if (g.test(n)) return true;
    return false;
  };
}

/** `"Users"."Email"` and ` email ` both become `email`: the rule is about the column, not its quoting or table. */
function normalizeColumnName(name: string): string {
  let n = name.trim().toLowerCase();
  const dot = n.lastIndexOf('.');
  if (dot >= 0) n = n.slice(dot + 1);
  return n.replace(/^[`"'[]+|[`"'\]]+$/g, '');
}
