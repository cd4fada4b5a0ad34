import { configVariables, type VariableSchema } from './config-schema.ts';

// The README's configuration table, generated from CONFIG_SCHEMA so that the docs cannot
// drift from what loadConfig reads. `npm run docs:config` rewrites it between the markers;
// a test fails when the committed table is not what the schema generates.

export const TABLE_START =
  '<!-- config-table: generated from packages/server/src/config-schema.ts by `npm run docs:config` -->';
export const TABLE_END = '<!-- /config-table -->';

const SECRET_NOTE = {
  none: '',
  value: '; `gatehouse config` redacts it',
  'url-password': '; `gatehouse config` masks its password',
};

/** The Markdown table of every variable: name, type, default, meaning. */
export function configTable(): string {
  const rows = configVariables().map(([name, schema]) => [
    `\`${name}\``,
    typeOf(schema),
    defaultOf(schema),
    schema.description + SECRET_NOTE[schema.secret ?? 'none'],
  ]);
  return markdownTable(['variable', 'type', 'default', ''], rows);
}

/** `text` with the part between the markers replaced by the current table. */
export function withConfigTable(text: string): string {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`the config table markers are missing: ${TABLE_START}`);
  return `${text.slice(0, start + TABLE_START.length)}\n${configTable()}\n${text.slice(end)}`;
}

function typeOf(schema: VariableSchema): string {
  if (schema.type === 'integer') return `integer ${schema.minimum}–${schema.maximum}`;
  if (schema.anyOf) return schema.anyOf.map((s) => `\`${s.const}\``).join(' \\| ');
  if (schema.contentMediaType === 'application/json') return 'JSON object';
  if (schema.format === 'uri' || schema.secret === 'url-password') return 'URL';
  return schema.minLength !== undefined && schema.minLength > 1
    ? `string, ≥ ${schema.minLength} chars`
    : 'string';
}

function defaultOf(schema: VariableSchema): string {
  if (schema.default !== undefined) {
    return `\`${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)}\``;
  }
  // Text, not code: escape what Markdown would take for HTML (`<data dir>`).
  return (schema.defaultText ?? '—').replaceAll('<', '&lt;');
}

/** Columns padded to their widest cell, so the table reads in the raw file as well as rendered. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
