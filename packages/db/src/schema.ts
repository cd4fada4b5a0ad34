import type {
  DecisionKind,
  Reason,
  RequestKind,
  RequestStatus,
  Tier,
  WhitelistScope,
} from '@gatehouse/contract';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One-row-per-key server settings that every replica shares (e.g. the admin token hash). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: createdAt(),
});

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  roles: text('roles').array().notNull(),
  createdAt: createdAt(),
  disabledAt: at('disabled_at'),
  /** scrypt hash for local accounts (embedded mode); null for people who sign in through OIDC. */
  passwordHash: text('password_hash'),
  /** Where the account comes from: created by an admin, or on first OIDC login. */
  source: text('source').$type<'local' | 'oidc'>().notNull().default('local'),
});

/** Browser sessions of people. The cookie carries a random value; only its SHA-256 is stored. */
export const webSessions = pgTable(
  'web_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    lastSeenAt: at('last_seen_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
  },
  (t) => [index('web_sessions_user_idx').on(t.userId)],
);

/** Failed login counters per account and per client address, for rate limiting and lockout. */
export const loginFailures = pgTable('login_failures', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  windowStart: at('window_start').notNull(),
  lockedUntil: at('locked_until'),
});

/**
 * Approver groups. A group with environments and/or kinds is scoped: its members decide only
 * matching requests. `escalatesTo` names the group that becomes eligible before the deadline.
 */
export const approverGroups = pgTable('approver_groups', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  environments: text('environments').array(),
  kinds: text('kinds').array(),
  escalatesTo: text('escalates_to'),
  createdAt: createdAt(),
});

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => approverGroups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] })],
);

/** Whitelist entries added by approvers ("approve and whitelist"); merged into the policy's. */
export const whitelistEntries = pgTable(
  'whitelist_entries',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<RequestKind>().notNull(),
    /** Exact command, or null when `match` is a pattern over the parsed command. */
    command: text('command'),
    match: jsonb('match').$type<Record<string, unknown>>(),
    reason: text('reason').notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    requestId: text('request_id'),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
    /**
     * Whom the entry applies to, and the agent id, agent type or environment that scope names
     * (null for `global`). Entries added before scopes existed applied to everyone: `global`.
     */
    scope: text('scope').$type<WhitelistScope>().notNull().default('global'),
    scopeValue: text('scope_value'),
  },
  (t) => [
    check(
      'whitelist_entries_scope',
      sql`(${t.scope} = 'global' and ${t.scopeValue} is null) or (${t.scope} in ('agent', 'agent_type', 'environment') and ${t.scopeValue} is not null)`,
    ),
  ],
);

/** Personal API tokens. Only the SHA-256 of the token is stored; the token is shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    tokenHash: text('token_hash').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    revokedAt: at('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash)],
);

export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    ownerUserId: text('owner_user_id').references(() => users.id),
    /**
     * Environments this agent may act in; the first is assumed when a request names none.
     * Null: the agent states its environment itself (unbound).
     */
    environments: text('environments').array(),
    keyHash: text('key_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    revokedAt: at('revoked_at'),
  },
  (t) => [uniqueIndex('agents_key_hash_idx').on(t.keyHash)],
);

export const agentSessions = pgTable(
  'agent_sessions',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
  },
  (t) => [index('agent_sessions_agent_idx').on(t.agentId)],
);

/**
 * Revocations in the order they happened. Every replica tails this table so that a
 * revoked agent or session is refused everywhere within a second, Redis or not.
 */
export const revocations = pgTable('revocations', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  subjectType: text('subject_type').$type<'agent' | 'session'>().notNull(),
  subjectId: text('subject_id').notNull(),
  createdAt: createdAt(),
});

export const requests = pgTable(
  'requests',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    sessionId: text('session_id').notNull(),
    kind: text('kind').$type<RequestKind>().notNull(),
    dialect: text('dialect'),
    command: text('command').notNull(),
    target: text('target'),
    context: jsonb('context').$type<Record<string, unknown>>().notNull(),
    cmdHash: text('cmd_hash').notNull(),
    score: smallint('score').notNull(),
    tier: text('tier').$type<Tier>().notNull(),
    reasons: jsonb('reasons').$type<Reason[]>().notNull(),
    commands: jsonb('commands').$type<unknown[]>().notNull(),
    policyVersion: text('policy_version').notNull(),
    whitelistedBy: text('whitelisted_by'),
    status: text('status').$type<RequestStatus>().notNull(),
    requiredApprovals: smallint('required_approvals').notNull(),
    deadline: at('deadline'),
    /** When the request was escalated to the secondary approver groups. */
    escalatedAt: at('escalated_at'),
    createdAt: createdAt(),
    decidedAt: at('decided_at'),
    verdict: text('verdict'),
    verdictExpiresAt: at('verdict_expires_at'),
    consumedAt: at('consumed_at'),
  },
  (t) => [
    index('requests_pending_deadline_idx').on(t.deadline).where(sql`${t.status} = 'pending'`),
    index('requests_agent_created_idx').on(t.agentId, t.createdAt),
    index('requests_status_created_idx').on(t.status, t.createdAt),
  ],
);

export const decisions = pgTable(
  'decisions',
  {
    requestId: text('request_id')
      .notNull()
      .references(() => requests.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    decision: text('decision').$type<DecisionKind>().notNull(),
    comment: text('comment'),
    createdAt: createdAt(),
  },
  // A person decides a request once: the quorum counts people, not clicks.
  (t) => [primaryKey({ columns: [t.requestId, t.userId] })],
);

export const executions = pgTable('executions', {
  requestId: text('request_id')
    .primaryKey()
    .references(() => requests.id),
  exitCode: integer('exit_code'),
  signal: text('signal'),
  durationMs: integer('duration_ms').notNull(),
  reportedAt: createdAt(),
});

/**
 * Signing keys. The private JWK is stored encrypted (AES-256-GCM) under the master key,
 * which never enters the database. Retired keys stay published until their verdicts expire.
 */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  purpose: text('purpose').$type<'verdict' | 'session' | 'audit'>().notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateJwkEnc: text('private_jwk_enc').notNull(),
  active: boolean('active').notNull(),
  createdAt: createdAt(),
  retiredAt: at('retired_at'),
  publishUntil: at('publish_until'),
});

/**
 * The audit log: append-only hash chains, one per writer lane (see core/audit). The
 * database refuses UPDATE, DELETE and TRUNCATE on this table (migration 0001).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    chain: text('chain').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    type: text('type').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('audit_chain_seq_idx').on(t.chain, t.seq),
    index('audit_subject_idx').on(t.subjectType, t.subjectId),
  ],
);

/**
 * Signed checkpoints of the audit chains. Each records the heads of the chains that moved
 * since the previous checkpoint and the hash of that checkpoint, so checkpoints form a
 * chain of their own; each is a JWS signed by an `audit` key. Append-only, like the log.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
  /** Compact JWS of the checkpoint payload (heads, previous hash, counts). */
  jws: text('jws').notNull(),
});

/**
 * What an allowed command printed, as timestamped chunks (masked before storage), linked
 * to its request. Retention is configurable; the audit chain keeps a hash of each one.
 */
export const recordings = pgTable('recordings', {
  requestId: text('request_id')
    .primaryKey()
    .references(() => requests.id),
  chunks: jsonb('chunks').$type<{ t: number; stream: 'stdout' | 'stderr'; data: string }[]>().notNull(),
  bytes: integer('bytes').notNull(),
  truncated: boolean('truncated').notNull(),
  masked: jsonb('masked').$type<Record<string, number>>().notNull(),
  createdAt: createdAt(),
});

/** A request as stored: the one row type every part of the server passes around. */
export type RequestRow = typeof requests.$inferSelect;
