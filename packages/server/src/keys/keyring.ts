import { type Db, schema } from '@gatehouse/db';
import {
  generateVerdictKeyPair,
  MAX_VERDICT_TTL_SECONDS,
  privateKeyFromJwk,
  type SigningKey,
} from '@gatehouse/verdict';
import { and, eq, gt, or, sql } from 'drizzle-orm';
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import type { AuditWriter } from '../audit/writer.ts';
import { GatehouseError } from '../errors.ts';
import { open, seal } from './master-key.ts';

export type KeyPurpose = 'verdict' | 'session' | 'audit';
const PURPOSES: readonly KeyPurpose[] = ['verdict', 'session', 'audit'];

/** How long a retired key stays valid for verification: longer than anything it signed lives. */
const RETIRED_KEY_GRACE_SECONDS: Record<KeyPurpose, number> = {
  verdict: MAX_VERDICT_TTL_SECONDS + 60,
  session: 3600 + 60,
  // Checkpoints are verified for as long as the log is kept: audit keys never stop counting.
  audit: 100 * 365 * 24 * 3600,
};
/** Replicas pick up a rotation from the database at least this often. */
const REFRESH_MS = 5_000;
const KEY_CREATION_LOCK = 0x6a7e_4d17;

interface LoadedKeys {
  signers: Map<KeyPurpose, SigningKey>;
  published: Map<KeyPurpose, JWK[]>;
  /** Resolver over the published session keys, built once per load (importing keys is not free). */
  sessionJwks: JWTVerifyGetKey;
}

/**
 * The server's signing keys. Verdicts and session tokens use separate keys, so a session
 * token can never pass for a verdict even before its `typ` is checked. Private keys are
 * stored sealed under the master key and opened only in memory.
 */
export class KeyRing {
  readonly #db: Db;
  readonly #masterKey: Buffer;
  #keys?: LoadedKeys;
  #loading?: Promise<LoadedKeys>;
  #timer?: NodeJS.Timeout;

  constructor(db: Db, masterKey: Buffer) {
    this.#db = db;
    this.#masterKey = masterKey;
  }

  /** Creates the first keys on a fresh database (once, whichever replica gets there first). */
  async initialise(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${KEY_CREATION_LOCK})`);
      for (const purpose of PURPOSES) {
        const active = await tx
          .select({ kid: schema.signingKeys.kid })
          .from(schema.signingKeys)
          .where(and(eq(schema.signingKeys.purpose, purpose), eq(schema.signingKeys.active, true)));
        if (active.length === 0) await this.#insertKey(tx as unknown as Db, purpose);
      }
    });
    await this.refresh();
    // A failed refresh keeps the keys already loaded; the next tick tries again.
    this.#timer = setInterval(() => void this.refresh().catch(() => {}), REFRESH_MS);
    this.#timer.unref();
  }

  /** Retires the active keys (still published for their grace period) and creates new ones. */
  async rotate(
    audit: AuditWriter,
    actor: { type: 'admin' | 'user'; id: string },
  ): Promise<{ kids: string[] }> {
    const kids = await audit.transaction(async (tx, record) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${KEY_CREATION_LOCK})`);
      const created: string[] = [];
      for (const purpose of PURPOSES) {
        await tx
          .update(schema.signingKeys)
          .set({
            active: false,
            retiredAt: new Date(),
            publishUntil: new Date(Date.now() + RETIRED_KEY_GRACE_SECONDS[purpose] * 1000),
          })
          .where(and(eq(schema.signingKeys.purpose, purpose), eq(schema.signingKeys.active, true)));
        created.push(await this.#insertKey(tx, purpose));
      }
      record({ type: 'keys.rotated', actor, data: { kids: created } });
      return created;
    });
    await this.refresh();
    return { kids };
  }

  async signer(purpose: KeyPurpose): Promise<SigningKey> {
    const signer = (await this.#current()).signers.get(purpose);
    if (!signer) throw new GatehouseError('NO_SIGNING_KEY', `no active ${purpose} signing key`);
    return signer;
  }

  /** The public verdict keys: the active one and retired ones still in their grace period. */
  async verdictJwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.#current()).published.get('verdict') ?? [] };
  }

  /**
   * Public keys of a purpose that this server can vouch for: only keys whose sealed private
   * key opens under the master key and matches the stored public key. Someone who can write
   * to the database but does not hold the master key cannot add a key that passes.
   */
  async trustedPublicKeys(purpose: KeyPurpose): Promise<JWK[]> {
    const rows = await this.#db
      .select()
      .from(schema.signingKeys)
      .where(eq(schema.signingKeys.purpose, purpose));
    const trusted: JWK[] = [];
    for (const row of rows) {
      try {
        const { d: _private, ...derived } = JSON.parse(
          open(this.#masterKey, row.privateJwkEnc, row.kid),
        ) as JWK;
        const stored = row.publicJwk as JWK;
        if (derived.x === stored.x && derived.kid === row.kid) trusted.push({ ...stored, kid: row.kid });
      } catch {
        // Not sealed by our master key: not ours.
      }
    }
    return trusted;
  }

  /** Resolves session-token keys, refreshing once on an unknown kid (a rotation on another replica). */
  sessionKeys(): JWTVerifyGetKey {
    return async (header, token) => {
      let keys = await this.#current();
      const known = (k: LoadedKeys) =>
        (k.published.get('session') ?? []).some((jwk) => jwk.kid === header.kid);
      if (!known(keys)) keys = await this.refresh();
      return keys.sessionJwks(header, token);
    };
  }

  refresh(): Promise<LoadedKeys> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /**
   * The keys in memory. Signing happens inside transactions (a verdict is stored with the
   * status it closes), where a read on the outer handle would wait on a second connection:
   * so signers never read the database; the refresh timer and rotations keep them current.
   */
  async #current(): Promise<LoadedKeys> {
    return this.#keys ?? this.refresh();
  }

  /** Stops the background refresh. */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #load(): Promise<LoadedKeys> {
    const rows = await this.#db
      .select()
      .from(schema.signingKeys)
      .where(or(eq(schema.signingKeys.active, true), gt(schema.signingKeys.publishUntil, new Date())));
    const signers = new Map<KeyPurpose, SigningKey>();
    const published = new Map<KeyPurpose, JWK[]>();
    for (const row of rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())) {
      published.set(row.purpose, [...(published.get(row.purpose) ?? []), row.publicJwk as JWK]);
      if (row.active && !signers.has(row.purpose)) {
        signers.set(row.purpose, { kid: row.kid, privateKey: privateKeyFromJwk(this.#unseal(row)) });
      }
    }
    const sessionJwks = createLocalJWKSet({ keys: published.get('session') ?? [] });
    this.#keys = { signers, published, sessionJwks };
    return this.#keys;
  }

  #unseal(row: typeof schema.signingKeys.$inferSelect): JWK {
    try {
      return JSON.parse(open(this.#masterKey, row.privateJwkEnc, row.kid)) as JWK;
    } catch {
      throw new GatehouseError(
        'MASTER_KEY_MISMATCH',
        `signing key ${row.kid} cannot be opened with this master key; every replica must use the same ` +
          'GATEHOUSE_MASTER_KEY (or share the data dir that holds master.key)',
      );
    }
  }

  async #insertKey(tx: Db, purpose: KeyPurpose): Promise<string> {
    const pair = await generateVerdictKeyPair();
    await tx.insert(schema.signingKeys).values({
      kid: pair.kid,
      purpose,
      publicJwk: pair.publicJwk as Record<string, unknown>,
      privateJwkEnc: seal(this.#masterKey, JSON.stringify(pair.privateJwk), pair.kid),
      active: true,
    });
    return pair.kid;
  }
}
