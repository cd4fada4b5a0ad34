import { type AuditAccess, DatabaseError, loadConfig, openAuditAccess } from '@gatehouse/server';
import { type AdminTarget, adminTarget } from './admin-api.ts';
import type { CommandIO } from './io.ts';

/** Where the `audit` and `incident` commands read the record from. */
export type AuditSource = { kind: 'database'; access: AuditAccess } | { kind: 'api'; target: AdminTarget };

export interface SourceFlags {
  url?: string;
  token?: string;
}

/**
 * The database itself when this machine can open it: that needs no running server, and
 * trusts only keys sealed under the local master key. Otherwise the running server's API:
 * when --url asks for it, and when the embedded database is held by the server (PGlite
 * allows one process per data dir). Says on stderr when it takes the API, and why.
 */
export async function openAuditSource(flags: SourceFlags, io: CommandIO): Promise<AuditSource> {
  if (flags.url !== undefined) {
    const target = adminTarget(flags);
    io.stderr.write(`asking the Gatehouse API at ${target.url}\n`);
    return { kind: 'api', target };
  }
  try {
    return { kind: 'database', access: await openAuditAccess(loadConfig()) };
  } catch (error) {
    if (!(error instanceof DatabaseError && error.code === 'ERR_DATA_DIR_LOCKED')) throw error;
    const target = adminTarget(flags);
    const holder = error.holderPid === undefined ? '' : ` (pid ${error.holderPid})`;
    io.stderr.write(
      `the embedded database is held by the running server${holder}; asking it at ${target.url}\n`,
    );
    return { kind: 'api', target };
  }
}
