import { schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import type { AuditEventInput } from '../audit/chain.ts';
import type { Role } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { attemptFailed, attemptSucceeded, beginAttempt, forgetStaleAttempts } from './lockout.ts';
import { groupsOf } from './memberships.ts';
import { verifyDummy, verifyPassword } from './password.ts';
import { type NewWebSession, startWebSession } from './sessions.ts';

export interface SessionUser {
  id: string;
  email: string;
  roles: Role[];
  groups: string[];
}

/** 429 with the time the lock ends; the route turns `retryAfterSeconds` into `Retry-After`. */
export class LockedOut extends GatehouseError {
  readonly retryAfterSeconds: number;
  constructor(until: Date) {
    const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
    const minutes = Math.ceil(seconds / 60);
    super(
      'LOCKED_OUT',
      `too many failed sign-ins; sign-in is locked until ${until.toISOString()} (about ${minutes} minute${minutes === 1 ? '' : 's'}); try again then`,
    );
    this.retryAfterSeconds = seconds;
  }
}

const SYSTEM = { type: 'system', id: 'gatehouse' } as const;

/**
 * Local sign-in. Unknown emails, accounts without a password, disabled accounts and wrong
 * passwords all get the same answer after the same amount of work, and all count towards the
 * lockout of that email, so neither the answer nor its timing tells whether an account exists.
 */
export async function localLogin(
  rt: Runtime,
  input: { email: string; password: string; address: string },
): Promise<{ user: SessionUser; session: NewWebSession }> {
  const db = rt.database.db;
  const email = input.email.trim().toLowerCase();
  const keys = { account: `account:${email}`, address: `address:${input.address}` };
  const attempts = [await beginAttempt(db, keys.account), await beginAttempt(db, keys.address)];
  const lockedUntil = latest(attempts.map((a) => a.lockedUntil));
  if (lockedUntil) {
    await rt.audit.append({
      type: 'login.failed',
      actor: SYSTEM,
      data: { method: 'password', email, address: input.address, reason: 'locked_out' },
    });
    throw new LockedOut(lockedUntil);
  }

  const [user] = await db.select().from(schema.users).where(eq(schema.users.email, email));
  const passwordOk = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : await verifyDummy(input.password);
  const reason = !user
    ? 'unknown_user'
    : !user.passwordHash
      ? 'no_password'
      : !passwordOk
        ? 'wrong_password'
        : user.disabledAt
          ? 'disabled'
          : undefined;

  if (reason || !user) {
    const events: AuditEventInput[] = [
      {
        type: 'login.failed',
        actor: SYSTEM,
        ...(user ? { subject: { type: 'user', id: user.id } } : {}),
        data: { method: 'password', email, address: input.address, reason },
      },
    ];
    let lock: Date | undefined;
    for (const [kind, key] of Object.entries(keys)) {
      const until = await attemptFailed(db, key);
      if (!until) continue;
      lock = latest([lock, until]);
      events.push({
        type: 'login.locked',
        actor: SYSTEM,
        ...(kind === 'account' && user ? { subject: { type: 'user', id: user.id } } : {}),
        data: { [kind]: kind === 'account' ? email : input.address, until: until.toISOString() },
      });
    }
    await rt.audit.commit({ inserts: [], events });
    // Now and then, not on every failure: the cleanup is housekeeping, not part of the answer.
    if (Math.random() < 0.05) void forgetStaleAttempts(db).catch(() => {});
    if (lock) throw new LockedOut(lock);
    throw new GatehouseError('INVALID_CREDENTIALS', 'the email or password is wrong');
  }

  await attemptSucceeded(db, keys.account, keys.address);
  const roles = user.roles as Role[];
  const session = await rt.audit.transaction(async (tx, record) => {
    const started = await startWebSession(tx, user.id);
    record({
      type: 'login.succeeded',
      actor: { type: 'user', id: user.id },
      subject: { type: 'user', id: user.id },
      data: { method: 'password', address: input.address },
    });
    return started;
  });
  return { user: { id: user.id, email: user.email, roles, groups: await groupsOf(db, user.id) }, session };
}

function latest(dates: readonly (Date | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}
