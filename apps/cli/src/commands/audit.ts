import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  configuredWitnesses,
  type ExportFilter,
  type ExportLine,
  exportLog,
  loadConfig,
  parseExpectedHead,
  type VerifyReport,
  verifyAudit,
  verifyExport,
} from '@gatehouse/server';
import type { JWK } from 'jose';
import { type AdminTarget, adminGetLines, adminPost } from '../admin-api.ts';
import { openAuditSource, type SourceFlags } from '../audit-source.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

/** The server walks the whole log before it answers. */
const VERIFY_TIMEOUT_MS = 5 * 60_000;

interface VerifyFlags extends SourceFlags {
  file?: string;
  keys?: string;
  witness?: string[];
  expectHead?: string;
  since?: boolean;
}

/** `gatehouse audit verify`: exit code 0 only when every chain and checkpoint verifies. */
export async function verify(values: VerifyFlags, io: CommandIO): Promise<number> {
  const pinned = values.keys ? readKeys(values.keys) : undefined;
  const expectHead = values.expectHead === undefined ? undefined : parseExpectedHead(values.expectHead);
  if (values.expectHead !== undefined && !expectHead)
    throw new CliError(
      `--expect-head "${values.expectHead}" is not CHECKPOINT:HASH (as "head:" of an earlier run prints it)`,
    );
  let report: VerifyReport;
  if (values.file) {
    if (values.url !== undefined) throw new CliError('--file verifies an export offline; it takes no --url');
    if (values.witness || expectHead || values.since)
      throw new CliError(
        '--witness, --expect-head and --since compare the database; --file checks an export alone',
      );
    report = await verifyExport(readExport(values.file), pinned);
  } else {
    const source = await openAuditSource(values, io);
    if (source.kind === 'api') {
      report = await verifyThroughApi(source.target, pinned, values);
    } else {
      try {
        const witnesses = [
          ...configuredWitnesses(loadConfig()),
          ...(values.witness ?? []).map((path) => ({ path, required: true })),
        ];
        report = await verifyAudit(source.access.database.db, pinned ?? source.access.keys, {
          witnesses,
          expectHead,
          since: values.since,
          progress: progressTo(io, 'verified'),
        });
      } finally {
        await source.access.close();
      }
    }
  }
  io.stdout.write(describe(report, values.since === true));
  return report.ok ? 0 : 1;
}

async function verifyThroughApi(
  target: AdminTarget,
  pinned: JWK[] | undefined,
  values: VerifyFlags,
): Promise<VerifyReport> {
  // The server trusts the keys sealed under its master key; it cannot be told to trust others.
  if (pinned)
    throw new CliError(
      '--keys cannot be applied through the API, where the server verifies with its own keys; ' +
        'export the log (gatehouse audit export) and verify the file with --file and --keys',
    );
  // The server compares with its own witness; a file on this machine cannot be sent to it.
  if (values.witness)
    throw new CliError(
      '--witness cannot be applied through the API, where the server compares with its own witness; ' +
        'run audit verify where the database can be opened (DATABASE_URL), or stop the embedded server',
    );
  const body = {
    ...(values.expectHead ? { expectHead: values.expectHead.trim() } : {}),
    ...(values.since ? { since: true } : {}),
  };
  const options = { timeoutMs: VERIFY_TIMEOUT_MS };
  return adminPost<VerifyReport>(target, '/v1/audit/verify', 'audit verification', body, options);
}

/** `gatehouse audit export`: JSONL that `audit verify --file` can check offline. */
export async function exportEvents(
  values: { out?: string; since?: string; until?: string; agent?: string } & SourceFlags,
  io: CommandIO,
): Promise<number> {
  const filter = {
    since: time(values.since, '--since'),
    until: time(values.until, '--until'),
    agentId: values.agent,
  };
  const source = await openAuditSource(values, io);
  const out = values.out ? createWriteStream(values.out, { mode: 0o600 }) : io.stdout;
  try {
    const counts =
      source.kind === 'api'
        ? await exportThroughApi(source.target, filter, out)
        : await exportLog(
            source.access.database.db,
            source.access.keys,
            filter,
            (line) => writeText(out, `${JSON.stringify(line)}\n`),
            progressTo(io, 'exported'),
          );
    io.stderr.write(`exported ${counts.selected} matching events with ${counts.context} events of context\n`);
  } finally {
    if (source.kind === 'database') await source.access.close();
    if (out !== io.stdout) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
  }
  return 0;
}

/** Writes the server's lines through as they arrive, counting them for the same summary. */
async function exportThroughApi(
  target: AdminTarget,
  filter: ExportFilter,
  out: NodeJS.WritableStream,
): Promise<{ selected: number; context: number }> {
  const query = new URLSearchParams();
  if (filter.since) query.set('since', filter.since.toISOString());
  if (filter.until) query.set('until', filter.until.toISOString());
  if (filter.agentId) query.set('agent', filter.agentId);
  const counts = { selected: 0, context: 0 };
  let n = 0;
  for await (const text of adminGetLines(target, `/v1/audit/export?${query}`, 'audit export')) {
    n++;
    let line: ExportLine;
    try {
      line = JSON.parse(text) as ExportLine;
    } catch {
      throw new CliError(`audit export: line ${n} from ${target.url} is not JSON`, 1);
    }
    if (line.type === 'event') counts[line.selected ? 'selected' : 'context']++;
    await writeText(out, `${text}\n`);
  }
  return counts;
}

function writeText(out: NodeJS.WritableStream, text: string): Promise<void> | void {
  if (!out.write(text)) return new Promise((resolve) => out.once('drain', () => resolve()));
}

async function* readExport(file: string): AsyncGenerator<ExportLine> {
  let n = 0;
  for await (const text of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    n++;
    if (!text.trim()) continue;
    try {
      yield JSON.parse(text) as ExportLine;
    } catch {
      throw new CliError(`${file}:${n}: not a JSON line`, 1);
    }
  }
}

function readKeys(file: string): JWK[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] };
    if (!Array.isArray(parsed.keys)) throw new Error('no "keys" array');
    return parsed.keys;
  } catch (error) {
    throw new CliError(`cannot read keys from ${file}: ${(error as Error).message}`);
  }
}

function time(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new CliError(`${flag} "${value}" is not a time (use ISO 8601, e.g. 2026-11-22T10:00:00Z)`);
  return date;
}

function progressTo(io: CommandIO, verb: string) {
  return (done: number, total: number) => {
    io.stderr.write(total > 0 ? `${verb} ${done}/${total} events\n` : `${verb} ${done} events\n`);
  };
}

function describe(report: VerifyReport, since: boolean): string {
  const lines: string[] = [];
  if (report.from) {
    lines.push(
      `since the verification report of ${report.from.at}` +
        (report.from.checkpoint === null ? '' : ` (checkpoint ${report.from.checkpoint})`) +
        ': only what changed since',
    );
  } else if (since) {
    lines.push('no earlier verification report that passed: verified everything');
  }
  lines.push(
    `${report.events} events in ${report.chains} chains, ${report.checkpoints} checkpoints; ` +
      `${report.covered} events vouched for by a signed checkpoint`,
  );
  for (const w of report.witnesses ?? []) lines.push(`witness ${describeWitness(w)}`);
  if (!report.witnesses?.some((w) => w.status !== 'absent'))
    lines.push('no witness: a rollback of the whole database would go unnoticed (see docs/audit.md)');
  if (report.ok) {
    lines.push('OK: every chain links and every checkpoint verifies');
  } else {
    const first = report.problems[0]!;
    lines.push(`FAILED: ${report.problems.length} problem(s); first bad position: ${position(first)}`);
    for (const p of report.problems.slice(0, 20))
      lines.push(`  ${p.kind.padEnd(19)} ${position(p)}  ${p.detail}`);
    if (report.problems.length > 20) lines.push(`  … ${report.problems.length - 20} more`);
  }
  // Only a head that verified is one to record for a later --expect-head.
  if (report.ok && report.head) lines.push(`head: ${report.head.checkpoint}:${report.head.hash}`);
  return `${lines.join('\n')}\n`;
}

function describeWitness(w: NonNullable<VerifyReport['witnesses']>[number]): string {
  const name = w.name.replace(/^file /, '');
  if (w.status === 'absent') return `${name}: not there (not required)`;
  if (w.status === 'unavailable') return `${name}: UNAVAILABLE`;
  const newest = w.checkpoint === undefined ? 'no checkpoint' : `newest checkpoint ${w.checkpoint}`;
  return `${name}: ${w.entries} entries, ${newest}${w.lastAt ? `, last at ${w.lastAt}` : ''}${w.status === 'broken' ? ' — BROKEN' : ''}`;
}

function position(p: {
  id?: number;
  chain?: string;
  seq?: number;
  checkpoint?: number;
  witness?: string;
}): string {
  const parts = [];
  if (p.chain !== undefined) parts.push(`chain ${p.chain}`);
  if (p.seq !== undefined) parts.push(`seq ${p.seq}`);
  if (p.id !== undefined) parts.push(`row ${p.id}`);
  if (p.checkpoint !== undefined) parts.push(`checkpoint ${p.checkpoint}`);
  if (parts.length === 0 && p.witness !== undefined) parts.push(p.witness.replace(/^file /, 'witness '));
  return parts.join(', ');
}
