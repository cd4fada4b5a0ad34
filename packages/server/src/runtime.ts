import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { type Db, migrate, openDatabase, roleInEffect } from '@gatehouse/db';
import { parseMaskingConfig } from '@gatehouse/mask';
import { createRiskEngine, type RiskEngine } from '@gatehouse/risk';
import { createAuditWriter } from './audit/setup.ts';
import { loadAdminToken } from './auth/admin-token.ts';
import { RevocationCache } from './auth/revocations.ts';
import { ClusterEventBus } from './cluster/event-bus.ts';
import type { Config } from './config.ts';
import { KeyRing } from './keys/keyring.ts';
import { loadMasterKey } from './keys/master-key.ts';
import { type EventBus, LocalEventBus, RedisEventBus } from './platform/events.ts';
import { BullJobQueue, InProcessJobQueue, type JobQueue } from './platform/jobs.ts';
import type { Logger } from './platform/log.ts';
import type { Runtime } from './platform/runtime.ts';
import { VerifiedSessionCache } from './sessions/tokens.ts';

/**
 * Opens storage (PGlite or PostgreSQL), applies migrations, loads keys and the policy, and
 * connects jobs and live events (in-process or Redis). Fails fast with a clear error if
 * anything it needs is unavailable: a half-started approval service is worse than none.
 */
export async function createRuntime(config: Config, log: Logger): Promise<Runtime> {
  const risk = await createRiskEngine(
    config.policyFile ? readFileSync(config.policyFile, 'utf8') : undefined,
  );
  // The policy's `masking:` section: validated now, so a bad rule stops the start, not a recording.
  if (risk.policy.masking !== undefined)
    config = { ...config, masking: parseMaskingConfig(risk.policy.masking) };
  // PostgreSQL: migrate as the schema owner, then work as the application role, which can add
  // audit rows but never change or remove them (docs/operations.md). PGlite: one user, no roles.
  if (config.databaseUrl)
    await migrateAsOwner(config.migrationDatabaseUrl ?? config.databaseUrl, config.dataDir);
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    role: config.databaseUrl ? config.dbAppRole : undefined,
    gate: {
      // What a wedge looks like from outside is silence: name the holder while it lasts.
      onStall: ({ holder, heldMs, waiting }) =>
        log.warn(
          { holder: `${holder.kind}: ${holder.label}`, heldMs, waiting },
          'the embedded database is held by one call; others wait',
        ),
    },
  });
  const closers: (() => Promise<void> | void)[] = [() => database.close()];
  try {
    if (!config.databaseUrl) await migrate(database.db);
    else await warnIfAuditWritable(database.db, log);
    const keys = new KeyRing(database.db, loadMasterKey(config));
    await keys.initialise();
    closers.unshift(() => keys.stop());
    const audit = createAuditWriter(database.db, config.audit, keys, log);
    await audit.start();
    closers.unshift(() => audit.close());
    const admin = await loadAdminToken(database.db, config);
    const revocations = new RevocationCache(database.db);
    await revocations.start();
    closers.unshift(() => revocations.stop());

    // Workers of one `gatehouse start --workers N` without Redis pass events through the primary.
    const bus: EventBus = config.redisUrl
      ? await RedisEventBus.connect(config.redisUrl, config.redisPrefix)
      : cluster.isWorker
        ? new ClusterEventBus()
        : new LocalEventBus();
    closers.unshift(() => bus.close());
    const jobs: JobQueue = config.redisUrl
      ? await BullJobQueue.connect(config.redisUrl, config.redisPrefix)
      : new InProcessJobQueue();
    closers.unshift(() => jobs.close());
    // Any key rotation, wherever it happened, is picked up here at once.
    bus.subscribe((event) => {
      if (event.type === 'keys.rotated') void keys.refresh().catch(() => {});
    });

    let current: RiskEngine = risk;
    return {
      config,
      log,
      database,
      audit,
      keys,
      bus,
      jobs,
      get risk() {
        return current;
      },
      policyEngine: risk,
      setRisk: (engine) => {
        current = engine;
      },
      revocations,
      sessions: new VerifiedSessionCache(),
      admin,
      checkReady: async () => {
        await database.ping();
        await jobs.ping();
      },
      close: async () => {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await Promise.resolve(close()).catch(() => {});
    throw error;
  }
}

export type { Runtime } from './platform/runtime.ts';

/** Applies migrations over a connection of its own, as the login that owns the schema. */
async function migrateAsOwner(url: string, dataDir: string): Promise<void> {
  const owner = await openDatabase({ url, dataDir, poolSize: 1 });
  try {
    await migrate(owner.db);
  } finally {
    await owner.close();
  }
}

/** GATEHOUSE_DB_APP_ROLE=none with a login that could rewrite the audit log: say so. */
async function warnIfAuditWritable(db: Db, log: Logger): Promise<void> {
  const role = await roleInEffect(db);
  if (role.canRewriteAudit)
    log.warn(
      { role: role.role, login: role.login },
      'the server works as a PostgreSQL role that can change or delete audit rows; see docs/operations.md (GATEHOUSE_DB_APP_ROLE)',
    );
}
