/**
 * `table[key]` for a key that comes from the command being judged: only the table's own
 * entries. A plain lookup would find Object.prototype's members for program or variable names
 * like `constructor`, `toString` or `__proto__`, and judge them as something the engine knows.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
