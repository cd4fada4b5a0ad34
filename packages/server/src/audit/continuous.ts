import type { AuditStatus } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { signCompactJws } from '@gatehouse/verdict';
import { eq, sql } from 'drizzle-orm';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import type { Runtime } from '../platform/runtime.ts';
import { checkpointHash } from './checkpoints.ts';
import { type DatabaseReport, type Progress, type VerifyOptions, verifyDatabase } from './log.ts';
import { type AuditAlarm, AuditMonitor, REPORT_TYP, type ReportPayload } from './monitor.ts';
import type { VerifiedPosition } from './types.ts';
import { readWitness, WitnessReader, type WitnessState } from './witness.ts';

/**
 * Continuous verification: a job verifies what the audit log gained since the last report
 * (each lane from its verified head, checkpoints from the verified one, the witness), signs a
 * report of the covered range and its result, and records it as an audit event, on the
 * witness, and as the status the console shows. A failure raises an alarm: an `audit.alarm`
 * event, the metrics, and the listeners of `AuditMonitor.onAlarm` (the notifications).
 * Once a day, and on a process's first run without an earlier report, it walks everything.
 */

/** Signed reports are kept in `settings`: the newest one, and the newest one that verified. */
const STATUS_KEY = 'audit.verification.status';
const LAST_OK_KEY = 'audit.verification.last';
const LEASE_KEY = 'audit.verification.lease';
/** A full walk at least this often: an incremental run does not re-read events it verified. */
export const FULL_VERIFICATION_MS = 24 * 3600 * 1000;
/** Problems a report carries in full; the count says how many there were. */
const REPORTED_PROBLEMS = 20;

export interface VerificationRun {
  payload: ReportPayload;
  jws: string;
  report: DatabaseReport;
}

/**
 * Runs one verification, unless another process holds the verification lease (then
 * undefined). `full` walks everything; otherwise it continues from the last report that
 * verified (this process's, or the one stored in the database, if its signature holds).
 */
export async function runVerification(
  rt: Runtime,
  options: { full?: boolean } = {},
): Promise<VerificationRun | undefined> {
  const db = rt.database.db;
  const monitor = monitorOf(rt);
  if (!(await takeLease(db, rt.audit.writerId, Math.max(60, rt.config.audit.verifySeconds * 2))))
    return undefined;
  const keys = await rt.keys.trustedPublicKeys('audit');
  const witness = rt.audit.witness?.file;
  const health = rt.audit.witness?.health().find((h) => h.name === witness?.name);
  // The server's own witness exists from its first witnessed checkpoint on: before that (a
  // fresh start, an upgrade) there is nothing to compare with. Once this process wrote to it,
  // or once it was named in the configuration, it must be there.
  const required = rt.config.audit.witnessRequired || health?.lastEntry !== undefined;

  let from: (VerifiedPosition & { fullAt: string }) | undefined;
  if (!options.full) from = monitor.position ?? (await storedPosition(db, keys));
  if (from && Date.now() - Date.parse(from.fullAt) > FULL_VERIFICATION_MS) from = undefined;

  if (witness && (!from || monitor.witnessReader?.path !== witness.path))
    monitor.witnessReader = new WitnessReader(witness.path);
  const report = await verifyDatabase(db, keys, undefined, {
    witnesses: witness ? [{ path: witness.path, required, reader: monitor.witnessReader }] : [],
    from,
  });
  const written = health?.lastEntry;
  const seen = report.witnesses?.find((w) => w.name === witness?.name);
  if (written !== undefined && seen && seen.status !== 'unavailable' && seen.entries < written) {
    report.problems.push({
      kind: 'witness-broken',
      witness: seen.name,
      detail: `${seen.name} holds ${seen.entries} valid entries, but this process wrote entry ${written}: the witness lost entries`,
    });
    report.ok = false;
  }

  const at = new Date().toISOString();
  const payload: ReportPayload = {
    v: 1,
    at,
    ok: report.ok,
    full: !from,
    from: from ? { at: from.at, checkpoint: from.checkpoint?.seq ?? null } : null,
    fullAt: from?.fullAt ?? report.position.at,
    position: report.position,
    events: report.events,
    covered: report.covered,
    checkpoints: report.checkpoints,
    problems: report.problems.slice(0, REPORTED_PROBLEMS),
    problemCount: report.problems.length,
    by: rt.audit.writerId,
  };
  const jws = signCompactJws({ typ: REPORT_TYP }, payload, await rt.keys.signer('audit'));
  monitor.counters.verifications++;
  monitor.last = payload;
  if (report.ok) monitor.position = { ...report.position, fullAt: payload.fullAt };
  else monitor.counters.failures++;

  // An idle log: nothing new but the previous report's own event. Recording this one too would
  // keep the log moving (and checkpointed, and witnessed) for ever; the status still moves on.
  const quiet = report.ok && from !== undefined && report.events <= 1;
  await putSetting(db, STATUS_KEY, jws);
  if (report.ok) await putSetting(db, LAST_OK_KEY, jws);
  if (quiet) return { payload, jws, report };

  await rt.audit.append({
    type: 'audit.verification',
    actor: { type: 'system', id: 'audit-verifier' },
    data: {
      ok: payload.ok,
      full: payload.full,
      events: payload.events,
      problems: payload.problemCount,
      checkpoint: payload.position.checkpoint?.seq ?? null,
      from: payload.from,
      report: jws,
    },
  });
  await rt.audit.witness?.record({
    kind: 'verification',
    report: jws,
    ok: payload.ok,
    checkpoint: payload.position.checkpoint,
  });
  if (!report.ok) {
    const alarm: AuditAlarm = {
      at,
      cause: 'verification',
      problems: payload.problems,
      problemCount: payload.problemCount,
      detail: `audit verification failed: ${payload.problemCount} problem(s); first: ${payload.problems[0]?.detail ?? 'unknown'}`,
    };
    rt.log.error({ problems: payload.problemCount, first: payload.problems[0] }, alarm.detail);
    await rt.audit
      .append({
        type: 'audit.alarm',
        actor: { type: 'system', id: 'audit-verifier' },
        data: {
          cause: alarm.cause,
          problems: alarm.problems.slice(0, 10),
          count: alarm.problemCount,
          report: checkpointHash(jws),
        },
      })
      .catch(() => {});
    await monitor.raise(alarm);
  }
  return { payload, jws, report };
}

/** The monitor of a runtime (a writer made without one gets one on first use). */
export function monitorOf(rt: Runtime): AuditMonitor {
  const writer = rt.audit as { monitor?: AuditMonitor };
  if (!writer.monitor) Object.defineProperty(writer, 'monitor', { value: new AuditMonitor() });
  return writer.monitor!;
}

/** One verifier at a time across processes: a lease row in `settings`, taken over once it is stale. */
async function takeLease(db: Db, owner: string, seconds: number): Promise<boolean> {
  const result = await db.execute(sql`
    insert into settings (key, value, created_at) values (${LEASE_KEY}, ${owner}, now())
    on conflict (key) do update set value = excluded.value, created_at = now()
    where settings.value = excluded.value or settings.created_at < now() - make_interval(secs => ${seconds})
    returning key`);
  return result.rows.length > 0;
}

async function putSetting(db: Db, key: string, value: string): Promise<void> {
  await db.execute(sql`
    insert into settings (key, value, created_at) values (${key}, ${value}, now())
    on conflict (key) do update set value = excluded.value, created_at = now()`);
}

/** Verifies a report JWS against the trusted audit keys; undefined when it does not verify. */
export async function openReport(jws: string, keys: readonly JWK[]): Promise<ReportPayload | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet({ keys: [...keys] }), {
      algorithms: ['EdDSA'],
    });
    if (protectedHeader.typ !== REPORT_TYP) return undefined;
    return JSON.parse(new TextDecoder().decode(payload)) as ReportPayload;
  } catch {
    return undefined;
  }
}

async function storedReport(db: Db, key: string, keys: readonly JWK[]): Promise<ReportPayload | undefined> {
  const [row] = await db.select().from(schema.settings).where(eq(schema.settings.key, key));
  return row ? openReport(row.value, keys) : undefined;
}

async function storedPosition(
  db: Db,
  keys: readonly JWK[],
): Promise<(VerifiedPosition & { fullAt: string }) | undefined> {
  const report = await storedReport(db, LAST_OK_KEY, keys);
  return report?.ok ? { ...report.position, fullAt: report.fullAt } : undefined;
}

/**
 * The newest report that verified, from the database and the witnesses (whichever is newer;
 * only reports whose signature holds count): where `audit verify --since` starts.
 */
export async function lastVerifiedReport(
  db: Db,
  keys: readonly JWK[],
  witnesses: readonly WitnessState[] = [],
): Promise<ReportPayload | undefined> {
  const candidates: ReportPayload[] = [];
  const stored = await storedReport(db, LAST_OK_KEY, keys);
  if (stored?.ok) candidates.push(stored);
  for (const witness of witnesses) {
    for (const entry of [...witness.reports].reverse()) {
      if (!entry.ok) continue;
      const report = await openReport(entry.report, keys);
      if (report?.ok) {
        candidates.push(report);
        break;
      }
    }
  }
  return candidates.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
}

/** What the console shows: the newest report (any process's) and this process's witnesses. */
export async function auditStatus(rt: Runtime): Promise<AuditStatus> {
  const keys = await rt.keys.trustedPublicKeys('audit');
  const [row] = await rt.database.db
    .select()
    .from(schema.settings)
    .where(eq(schema.settings.key, STATUS_KEY));
  const report = row ? await openReport(row.value, keys) : undefined;
  const witnesses = rt.audit.witness?.health() ?? [];
  return {
    alarm: (report !== undefined && !report.ok) || witnesses.some((w) => w.failing),
    verification: report
      ? {
          at: report.at,
          ok: report.ok,
          full: report.full,
          events: report.events,
          checkpoint: report.position.checkpoint?.seq ?? null,
          problems: report.problems,
          problemCount: report.problemCount,
        }
      : null,
    witnesses,
  };
}

/** The audit metrics in the Prometheus text format (for `GET /v1/audit/metrics`, or a /metrics that includes them). */
export async function auditMetrics(rt: Runtime): Promise<string> {
  const status = await auditStatus(rt);
  const counters = monitorOf(rt).counters;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, value: number) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  metric(
    'gatehouse_audit_verification_ok',
    'gauge',
    'Whether the newest audit verification passed (1), failed (0); -1 before the first.',
    status.verification ? Number(status.verification.ok) : -1,
  );
  metric(
    'gatehouse_audit_verification_timestamp_seconds',
    'gauge',
    'When the newest audit verification ran.',
    status.verification ? Date.parse(status.verification.at) / 1000 : 0,
  );
  metric(
    'gatehouse_audit_verification_problems',
    'gauge',
    'Problems the newest audit verification found.',
    status.verification?.problemCount ?? 0,
  );
  metric(
    'gatehouse_audit_alarm',
    'gauge',
    'An audit alarm is on (verification failed, or a witness cannot be written).',
    Number(status.alarm),
  );
  metric(
    'gatehouse_audit_verifications_total',
    'counter',
    'Verifications this process ran.',
    counters.verifications,
  );
  metric(
    'gatehouse_audit_verification_failures_total',
    'counter',
    'Verifications of this process that failed.',
    counters.failures,
  );
  metric(
    'gatehouse_audit_witness_failures_total',
    'counter',
    'Witness writes of this process that failed.',
    counters.witnessFailures,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `audit verify` over the database: the witnesses and the expected head, and with `since`
 * only what changed since the newest report that verified (all of it when there is none).
 */
export async function verifyAudit(
  db: Db,
  keys: readonly JWK[],
  options: Omit<VerifyOptions, 'from'> & { since?: boolean; progress?: Progress } = {},
): Promise<DatabaseReport> {
  let from: VerifiedPosition | undefined;
  if (options.since) {
    const states: WitnessState[] = [];
    for (const w of options.witnesses ?? []) states.push(await readWitness(w.path, keys));
    from = (await lastVerifiedReport(db, keys, states))?.position;
  }
  return verifyDatabase(db, keys, options.progress, { ...options, from });
}
