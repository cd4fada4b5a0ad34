import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Db, schema } from '@gatehouse/db';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Role } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { hashSecret } from '../secrets.ts';

/** However active, a browser session ends this long after sign-in. */
export const ABSOLUTE_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** `last_seen_at` is written at most this often per session: idle precision is worth one write, not one per call. */
const TOUCH_INTERVAL_MS = 15_000;

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface WebSession {
  idHash: string;
  csrfToken: string;
  lastSeenAt: Date;
  user: { id: string; email: string; roles: Role[] };
}

export interface NewWebSession {
  /** The cookie value; only its hash is stored. */
  value: string;
  csrfToken: string;
  maxAgeSeconds: number;
}

/** Starts a session for a user, inside the caller's transaction (with its audit event). */
export async function startWebSession(tx: Db, userId: string): Promise<NewWebSession> {
  const value = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = new Date();
  await tx.insert(schema.webSessions).values({
    idHash: hashSecret(value),
    userId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + ABSOLUTE_LIFETIME_MS),
  });
  return { value, csrfToken, maxAgeSeconds: ABSOLUTE_LIFETIME_MS / 1000 };
}

const ended = () => new GatehouseError('SESSION_EXPIRED', 'your session has ended; sign in again');

/**
 * The live session behind a cookie, or a 401. Revoked, expired, idle and disabled-user
 * sessions all get the same answer. A database failure is a 503: never an anonymous pass.
 */
export async function findWebSession(rt: Runtime, cookieValue: string): Promise<WebSession> {
  if (!COOKIE_VALUE.test(cookieValue)) throw ended();
  let row:
    | {
        idHash: string;
        csrfToken: string;
        lastSeenAt: Date;
        expiresAt: Date;
        revokedAt: Date | null;
        userId: string;
        email: string;
        roles: string[];
        disabledAt: Date | null;
      }
    | undefined;
  try {
    [row] = await rt.database.db
      .select({
        idHash: schema.webSessions.idHash,
        csrfToken: schema.webSessions.csrfToken,
        lastSeenAt: schema.webSessions.lastSeenAt,
        expiresAt: schema.webSessions.expiresAt,
        revokedAt: schema.webSessions.revokedAt,
        userId: schema.users.id,
        email: schema.users.email,
        roles: schema.users.roles,
        disabledAt: schema.users.disabledAt,
      })
      .from(schema.webSessions)
      .innerJoin(schema.users, eq(schema.users.id, schema.webSessions.userId))
      .where(eq(schema.webSessions.idHash, hashSecret(cookieValue)));
  } catch {
    throw unavailable();
  }
  const now = Date.now();
  if (
    !row ||
    row.revokedAt !== null ||
    row.disabledAt !== null ||
    row.expiresAt.getTime() <= now ||
    row.lastSeenAt.getTime() + rt.config.sessionIdleMinutes * 60_000 <= now
  ) {
    throw ended();
  }
  return {
    idHash: row.idHash,
    csrfToken: row.csrfToken,
    lastSeenAt: row.lastSeenAt,
    user: { id: row.userId, email: row.email, roles: row.roles as Role[] },
  };
}

/** Records activity, which is what keeps a session from going idle. */
export async function touchWebSession(rt: Runtime, session: WebSession): Promise<void> {
  if (Date.now() - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return;
  try {
    await rt.database.db
      .update(schema.webSessions)
      .set({ lastSeenAt: new Date() })
      .where(and(eq(schema.webSessions.idHash, session.idHash), isNull(schema.webSessions.revokedAt)));
  } catch {
    throw unavailable();
  }
}

/** Ends one session (logout). */
export async function endWebSession(tx: Db, idHash: string): Promise<void> {
  await tx
    .update(schema.webSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.webSessions.idHash, idHash), isNull(schema.webSessions.revokedAt)));
}

/** Ends every session of a user (disabled, or password changed); returns how many were live. */
export async function endUserWebSessions(tx: Db, userId: string): Promise<number> {
  const rows = await tx
    .update(schema.webSessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(schema.webSessions.userId, userId),
        isNull(schema.webSessions.revokedAt),
        sql`${schema.webSessions.expiresAt} > now()`,
      ),
    )
    .returning({ idHash: schema.webSessions.idHash });
  return rows.length;
}

/** Compares the `x-csrf-token` header with the session's token in constant time. */
export function csrfMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string' || sent === '') return false;
  // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function unavailable(): GatehouseError {
  return new GatehouseError(
    'AUTH_UNAVAILABLE',
    'cannot check credentials right now (the database did not answer); try again shortly',
  );
}

export function csrfFailed(): GatehouseError {
  return new GatehouseError(
    'CSRF_FAILED',
    'this call needs the x-csrf-token header of your session (from /v1/auth/login or /v1/auth/me)',
  );
}
