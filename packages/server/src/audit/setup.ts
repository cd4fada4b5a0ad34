import type { Db } from '@gatehouse/db';
import { sql } from 'drizzle-orm';
import type { AuditConfig } from '../config.ts';
import type { KeyRing } from '../keys/keyring.ts';
import type { Logger } from '../platform/log.ts';
import { AuditMonitor } from './monitor.ts';
import { FileWitness, WebhookSink, Witnesses, type WitnessLock } from './witness.ts';
import { AuditWriter } from './writer.ts';

/** Processes sharing a witness file share its database: this lock keeps their appends in one line. */
const WITNESS_LOCK = 0x6a7e_4d19;

/** The audit writer of a server process, with its witnesses and its continuous verification. */
export function createAuditWriter(db: Db, config: AuditConfig, keys: KeyRing, log: Logger): AuditWriter {
  const lock: WitnessLock = (work) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${WITNESS_LOCK})`);
      return work();
    });
  const witness = new Witnesses({
    file: config.witnessFile ? new FileWitness(config.witnessFile, { lock }) : undefined,
    sinks: config.witnessWebhook ? [new WebhookSink(config.witnessWebhook)] : [],
    signer: () => keys.signer('audit'),
  });
  const writer = new AuditWriter(db, {
    leaseSeconds: config.laneLeaseSeconds,
    witness,
    monitor: new AuditMonitor(),
    onLaneLost: (chain, reason) => log.warn({ chain, reason }, 'audit lane given up'),
  });
  witness.onFailure = (failure) => {
    writer.monitor?.witnessFailed(failure);
    log.error({ witness: failure.name, error: failure.error }, 'audit witness could not be written');
  };
  witness.onRecovered = () => writer.monitor?.witnessRecovered();
  return writer;
}
