import { Readable } from 'node:stream';
import type { Principal } from '../auth/principal.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type ListQuery, listForPeople } from './history.ts';

/** Rows fetched per keyset page while exporting: memory stays flat however many rows match. */
export const EXPORT_PAGE_SIZE = 500;

type Item = Awaited<ReturnType<typeof listForPeople>>['items'][number];

/** The columns, in order, and how each is read from a history item. */
const COLUMNS: [string, (item: Item) => string | number | null][] = [
  ['id', (i) => i.id],
  ['submitted', (i) => i.createdAt],
  ['agent', (i) => i.agent.name],
  ['agent_id', (i) => i.agent.id],
  ['agent_type', (i) => i.agent.type],
  ['environment', (i) => stringOr(i.context.environment)],
  ['kind', (i) => i.kind],
  ['dialect', (i) => i.dialect],
  ['command', (i) => i.command],
  ['tier', (i) => i.tier],
  ['score', (i) => i.score],
  ['status', (i) => i.status],
  ['decided', (i) => i.decidedAt],
  ['decided_by', (i) => i.decidedBy.map((d) => `${d.email} (${d.decision})`).join('; ')],
];

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * One CSV field (RFC 4180). Commands are written by agents, so a cell that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`: opening
 * the export must not execute what an agent typed.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(values: (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * Everything the history's filters select, as CSV, newest first: the same query as the
 * history page (same filters, same authorization), walked page by page with its keyset
 * cursor. The first page is read before anything is sent, so a refused query is a clean
 * 4xx, not a truncated file.
 */
export async function exportHistory(
  rt: Runtime,
  principal: Principal,
  query: Omit<ListQuery, 'cursor' | 'limit'>,
): Promise<Readable> {
  const first = await listForPeople(rt, principal, { ...query, limit: EXPORT_PAGE_SIZE });
  async function* lines() {
    yield csvLine(COLUMNS.map(([name]) => name));
    let page = first;
    for (;;) {
      for (const item of page.items) yield csvLine(COLUMNS.map(([, read]) => read(item)));
      if (!page.nextCursor) return;
      page = await listForPeople(rt, principal, {
        ...query,
        limit: EXPORT_PAGE_SIZE,
        cursor: page.nextCursor,
      });
    }
  }
  return Readable.from(lines());
}
