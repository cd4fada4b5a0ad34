export interface BenchResult {
  name: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  notes?: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function printTable(results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    Number.isFinite(r.opsPerSec) ? r.opsPerSec.toFixed(0) : '-',
    r.p50Ms.toFixed(3),
    r.p99Ms.toFixed(3),
    r.notes ?? '',
  ]);
  const header = ['benchmark', 'ops/s', 'p50 ms', 'p99 ms', 'notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
