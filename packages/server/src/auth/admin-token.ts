import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import { hashSecret, newSecret, sameHash, TOKEN_PREFIX } from '../secrets.ts';

const SETTING = 'admin_token_sha256';

export interface AdminToken {
  matches(token: string): boolean;
  /** Set only on the start that generated the token: shown once, never again. */
  generated?: { token: string; file: string };
}

/**
 * The bootstrap admin credential. GATEHOUSE_ADMIN_TOKEN wins when set; otherwise the
 * first start generates one, stores only its hash (shared by every replica) and writes
 * the token to `<dataDir>/admin-token` with mode 0600.
 */
export async function loadAdminToken(
  db: Db,
  options: { adminToken?: string; dataDir: string },
): Promise<AdminToken> {
  if (options.adminToken) {
    const hash = hashSecret(options.adminToken);
    return { matches: (token) => sameHash(hashSecret(token), hash) };
  }
  const token = newSecret(TOKEN_PREFIX.adminToken);
  const inserted = await db
    .insert(schema.settings)
    .values({ key: SETTING, value: hashSecret(token) })
    .onConflictDoNothing()
    .returning();
  const [row] =
    inserted.length > 0
      ? inserted
      : await db.select().from(schema.settings).where(eq(schema.settings.key, SETTING));
  if (!row) throw new Error('admin token setting vanished');
  const hash = row.value;
  const admin: AdminToken = { matches: (candidate) => sameHash(hashSecret(candidate), hash) };
  if (inserted.length > 0) {
    const file = join(options.dataDir, 'admin-token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    admin.generated = { token, file };
  }
  return admin;
}
