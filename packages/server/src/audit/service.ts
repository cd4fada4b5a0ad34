import { Readable } from 'node:stream';
import { actorOf, type Principal } from '../auth/principal.ts';
import type { Config } from '../config.ts';
import type { Runtime } from '../platform/runtime.ts';
import { verifyAudit } from './continuous.ts';
import { type ExportFilter, exportLines } from './log.ts';
import type { VerifyReport } from './verify.ts';
import { parseExpectedHead } from './witness-check.ts';

/**
 * Verifies the whole log for a caller who cannot open the database themselves (the embedded
 * database is held by this process; an auditor has no database credentials).
 */
export async function verifyLog(
  rt: Runtime,
  by: Principal,
  options: { expectHead?: string; since?: boolean } = {},
): Promise<VerifyReport> {
  const { position: _position, ...report } = await verifyAudit(
    rt.database.db,
    await rt.keys.trustedPublicKeys('audit'),
    {
      witnesses: configuredWitnesses(rt.config),
      expectHead: options.expectHead ? parseExpectedHead(options.expectHead) : undefined,
      since: options.since,
    },
  );
  await rt.audit.append({
    type: 'audit.verified',
    actor: actorOf(by),
    data: { ok: report.ok, events: report.events, problems: report.problems.length },
  });
  return report;
}

/**
 * The witness this deployment writes, as verification reads it: required when it was named
 * (GATEHOUSE_AUDIT_WITNESS_FILE), used whenever it is there otherwise.
 */
export function configuredWitnesses(config: Config): { path: string; required: boolean }[] {
  const file = config.audit.witnessFile;
  return file ? [{ path: file, required: config.audit.witnessRequired }] : [];
}

/** Lines are sent in chunks of about this many characters: a write per line costs more than the line. */
const CHUNK_CHARS = 64 * 1024;

/** The export of `exportLog` as NDJSON, produced only as fast as the client reads it. */
export function exportStream(rt: Runtime, by: Principal, filter: ExportFilter): Readable {
  return Readable.from(auditedExport(rt, by, filter), { objectMode: false });
}

/**
 * `audit.exported` is recorded once the export has been sent, or broken off, and before the
 * response ends. Recorded first, it would be part of the export it describes: an event newer
 * than the last checkpoint, alone in its chain's slice, makes that export fail verification
 * until the next checkpoint.
 */
async function* auditedExport(rt: Runtime, by: Principal, filter: ExportFilter): AsyncGenerator<string> {
  let sent = 0;
  let complete = false;
  try {
    const keys = await rt.keys.trustedPublicKeys('audit');
    let chunk = '';
    let lines = 0;
    for await (const line of exportLines(rt.database.db, keys, filter)) {
      chunk += `${JSON.stringify(line)}\n`;
      lines++;
      // The header goes at once, so the client knows the export started before the first
      // pass over the log (which sends nothing) is done.
      if (chunk.length >= CHUNK_CHARS || line.type === 'header') {
        yield chunk;
        sent += lines;
        chunk = '';
        lines = 0;
      }
    }
    if (chunk) yield chunk;
    sent += lines;
    complete = true;
  } finally {
    await rt.audit.append({
      type: 'audit.exported',
      actor: actorOf(by),
      data: { filter: describeFilter(filter), lines: sent, complete },
    });
  }
}

function describeFilter(filter: ExportFilter): Record<string, string> {
  const described: Record<string, string> = {};
  if (filter.since) described.since = filter.since.toISOString();
  if (filter.until) described.until = filter.until.toISOString();
  if (filter.agentId) described.agent = filter.agentId;
  return described;
}
