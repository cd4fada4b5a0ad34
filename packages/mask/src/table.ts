import { type ResolvedConfig, resolveConfig } from './config.ts';
import { maskText } from './engine.ts';
import { type MaskingConfig, type MaskResult, type MaskType, marker } from './types.ts';

/** Nesting deeper than this in a JSON cell is masked wholesale rather than walked. */
const MAX_DEPTH = 32;

type Counts = Partial<Record<MaskType, number>>;

function add(counts: Counts, more: Counts): void {
  for (const [type, n] of Object.entries(more) as Array<[MaskType, number]>)
    counts[type] = (counts[type] ?? 0) + n;
}

class CellMasker {
  readonly counts: Counts = {};
  masked = 0;
  constructor(
    private readonly config: MaskingConfig | undefined,
    private readonly resolved: ResolvedConfig,
  ) {}

  column(): string {
    this.counts.COLUMN = (this.counts.COLUMN ?? 0) + 1;
    this.masked++;
    return marker('COLUMN');
  }

  private text(s: string): MaskResult {
    const r = maskText(s, this.config);
    if (r.masked > 0) {
      add(this.counts, r.counts);
      this.masked += r.masked;
    }
    return r;
  }

  /**
   * Strings are masked as text. Numbers and bigints keep their type unless their digits are
   * sensitive (a card stored as a bigint). JSON cells are walked, and their keys obey the column
   * rules, so `{"email": …}` in a jsonb column is masked like an `email` column.
   */
  value(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v).text;
    if (typeof v === 'number' || typeof v === 'bigint') {
      const r = this.text(String(v));
      return r.masked > 0 ? r.text : v;
    }
    if (v === null || v === undefined || typeof v === 'boolean' || v instanceof Date) return v;
    if (depth >= MAX_DEPTH) return this.column();
    if (Array.isArray(v)) return v.map((item) => this.value(item, depth + 1));
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      const r = this.text(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
      return r.masked > 0 ? r.text : v;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const r = this.text(String(v));
        return r.masked > 0 ? r.text : v;
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
        out[key] = this.sensitive(key) ? this.column() : this.value(item, depth + 1);
      }
      return out;
    }
    // Functions and symbols do not come out of a database; do not guess.
    return this.column();
  }

  sensitive(name: string): boolean {
    return this.resolved.enabled.has('COLUMN') && this.resolved.isSensitiveColumn(name);
  }
}

/** Masks a table: every cell of a sensitive column becomes `[MASKED:COLUMN]`, every other cell goes through maskText. */
export function maskTable(
  table: { columns: string[]; rows: unknown[][] },
  config?: MaskingConfig,
): { columns: string[]; rows: unknown[][]; counts: MaskResult['counts']; masked: number } {
  if (
    table === null ||
    typeof table !== 'object' ||
    !Array.isArray(table.columns) ||
    !Array.isArray(table.rows)
  )
    throw new TypeError('maskTable expects {columns: string[], rows: unknown[][]}');
  const resolved = resolveConfig(config);
  const cells = new CellMasker(config, resolved);
  const sensitive = table.columns.map((name) => typeof name !== 'string' || cells.sensitive(name));
  const rows = table.rows.map((row) => {
    if (!Array.isArray(row)) throw new TypeError('maskTable expects every row to be an array');
    return row.map((cell, i) => (sensitive[i] ? cells.column() : cells.value(cell, 0)));
  });
  return { columns: [...table.columns], rows, counts: cells.counts, masked: cells.masked };
}
