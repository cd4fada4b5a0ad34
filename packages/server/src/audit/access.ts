import { type DatabaseHandle, openDatabase } from '@gatehouse/db';
import type { JWK } from 'jose';
import type { Config } from '../config.ts';
import { KeyRing } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';

export interface AuditAccess {
  database: DatabaseHandle;
  /** Audit public keys this deployment vouches for (sealed under its master key). */
  keys: JWK[];
  close(): Promise<void>;
}

/**
 * Direct read access to the audit log for the `audit` commands: the database of `config`
 * (PostgreSQL, or the embedded data dir when no server holds it) and the trusted keys.
 */
export async function openAuditAccess(config: Config): Promise<AuditAccess> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    existing: true,
  });
  try {
    const keys = await new KeyRing(database.db, loadMasterKey(config)).trustedPublicKeys('audit');
    return { database, keys, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
