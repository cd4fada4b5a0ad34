import type {
  DecisionKind,
  DeliveryAttempt,
  DeliveryStatus,
  GrantCeiling,
  QueuedKind,
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
  doublePrecision,
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
    /** `grant` for a just-in-time grant request (grants table); such a row is never scored. */
    kind: text('kind').$type<QueuedKind>().notNull(),
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
    // The whitelist hits job reads only the requests a whitelist lowered, by creation time.
    index('requests_whitelisted_created_idx').on(t.createdAt).where(sql`${t.whitelistedBy} is not null`),
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
 * The audit writer lanes (chains) and who holds each: a process leases lanes for a while and
 * renews the lease; a lane whose lease ran out (its process stopped, or was killed) is reused
 * by the next process that needs one, so the number of chains follows the number of live
 * writers, not the number of restarts. The unique (chain, seq) index of `audit_events` keeps a
 * chain from forking even if two processes ever append to one lane.
 */
export const auditLanes = pgTable('audit_lanes', {
  chain: text('chain').primaryKey(),
  /** The writer (one per process) that holds the lease; null when released. */
  owner: text('owner'),
  leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
  createdAt: createdAt(),
  claimedAt: at('claimed_at'),
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

/**
 * Outbound webhook endpoints an admin registered. The signing secret is sealed under the
 * master key (like the signing keys) and never returned after creation; during a rotation's
 * overlap the previous secret signs too. Deleting an endpoint keeps the row (and its delivery
 * log) and stops its deliveries.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** Event types it subscribes to (the contract's catalogue). */
  events: text('events').array().notNull(),
  /** The admin allowed private, loopback and link-local destinations (refused otherwise: SSRF). */
  allowPrivateNetwork: boolean('allow_private_network').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  /** Since when it is enabled: events before that are not sent to it when a lost one is found again. */
  enabledAt: at('enabled_at').notNull().defaultNow(),
  secretEnc: text('secret_enc').notNull(),
  previousSecretEnc: text('previous_secret_enc'),
  previousSecretExpiresAt: at('previous_secret_expires_at'),
  secretRotatedAt: at('secret_rotated_at'),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  deletedAt: at('deleted_at'),
});

/**
 * One event to deliver (a Standard Webhooks message): its id is the `webhook-id` every attempt
 * carries, its body (`{type, timestamp, data}`) serialized once when it was emitted, so every
 * attempt and replay signs and sends the same bytes. `dedupeKey` makes emitting idempotent:
 * replicas and retried jobs that emit the same occurrence create one event.
 */
export const webhookEvents = pgTable('webhook_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  dedupeKey: text('dedupe_key').notNull().unique(),
  body: text('body').notNull(),
  createdAt: createdAt(),
});

/** An event on its way to one endpoint: the delivery log (status, attempts, latency) admins read and replay. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    status: text('status').$type<DeliveryStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Attempts allowed before it fails for good; a replay raises it. */
    attemptLimit: integer('attempt_limit').notNull(),
    nextAttemptAt: at('next_attempt_at'),
    /** A worker holds it until then; past it, a crashed attempt is taken up again. */
    lockedUntil: at('locked_until'),
    lastStatusCode: integer('last_status_code'),
    lastLatencyMs: integer('last_latency_ms'),
    lastError: text('last_error'),
    history: jsonb('history').$type<DeliveryAttempt[]>().notNull().default([]),
    deliveredAt: at('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_open_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'sending', 'retrying')`),
  ],
);

/**
 * The Slack messages of a request, one per channel it was posted to, so every one of them is
 * updated when the request is decided anywhere. `ts` is null while the post is under way;
 * `rendered` is what the message shows (status and decision count), to find stale ones.
 */
export const slackMessages = pgTable(
  'slack_messages',
  {
    requestId: text('request_id')
      .notNull()
      .references(() => requests.id),
    channel: text('channel').notNull(),
    ts: text('ts'),
    rendered: text('rendered'),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.channel] })],
);

/** Slack members an admin linked to a Gatehouse person explicitly (otherwise: by verified email). */
export const slackUserLinks = pgTable('slack_user_links', {
  slackUserId: text('slack_user_id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
});

/**
 * The security console's rollups: request counts per creation hour × agent type × environment
 * × agent × kind × tier × status, with a histogram of submit-to-decision latency (the bounds
 * are the server's `LATENCY_BOUNDS_SECONDS`). Kept by the insights job from the requests
 * created or closed since its last run; the dashboard reads only these, never the requests.
 */
export const insightRollups = pgTable(
  'insight_rollups',
  {
    hour: at('hour').notNull(),
    agentType: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    agentId: text('agent_id').notNull(),
    kind: text('kind').$type<RequestKind>().notNull(),
    tier: text('tier').$type<Tier>().notNull(),
    status: text('status').$type<RequestStatus>().notNull(),
    count: integer('count').notNull(),
    latencyHist: integer('latency_hist').array().notNull().default(sql`'{}'`),
  },
  (t) => [
    primaryKey({
      name: 'insight_rollups_pk',
      columns: [t.hour, t.agentType, t.environment, t.agentId, t.kind, t.tier, t.status],
    }),
    index('insight_rollups_type_env_hour_idx').on(t.agentType, t.environment, t.hour),
  ],
);

/**
 * Counts per hour of the console's top lists: `family` (auto-approved command families),
 * `reason` (risk rule ids) and `whitelist` (entries that lowered a tier).
 */
export const insightFacets = pgTable(
  'insight_facets',
  {
    hour: at('hour').notNull(),
    facet: text('facet').$type<'family' | 'reason' | 'whitelist'>().notNull(),
    key: text('key').notNull(),
    agentType: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({ name: 'insight_facets_pk', columns: [t.hour, t.facet, t.key, t.agentType, t.environment] }),
  ],
);

/**
 * The hour rollups added up per UTC day (migration 0009), kept by the same job from
 * `insight_rollups` whenever one of a day's hours is recomputed. Long ranges (weeks, months)
 * read these for their whole days and the hour rollups only for the partial days at the ends.
 */
export const insightRollupsDaily = pgTable(
  'insight_rollups_daily',
  {
    day: at('day').notNull(),
    agentType: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    agentId: text('agent_id').notNull(),
    kind: text('kind').$type<RequestKind>().notNull(),
    tier: text('tier').$type<Tier>().notNull(),
    status: text('status').$type<RequestStatus>().notNull(),
    count: integer('count').notNull(),
    latencyHist: integer('latency_hist').array().notNull().default(sql`'{}'`),
  },
  (t) => [
    primaryKey({
      name: 'insight_rollups_daily_pk',
      columns: [t.day, t.agentType, t.environment, t.agentId, t.kind, t.tier, t.status],
    }),
  ],
);

/** The hour facets added up per UTC day, like `insight_rollups_daily`. */
export const insightFacetsDaily = pgTable(
  'insight_facets_daily',
  {
    day: at('day').notNull(),
    facet: text('facet').$type<'family' | 'reason' | 'whitelist'>().notNull(),
    key: text('key').notNull(),
    agentType: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({
      name: 'insight_facets_daily_pk',
      columns: [t.day, t.facet, t.key, t.agentType, t.environment],
    }),
  ],
);

/** Where each insights job got to: the instant of its last run and the hours it must revisit. */
export const insightState = pgTable('insight_state', {
  name: text('name').primaryKey(),
  at: at('at').notNull(),
  pendingHours: timestamp('pending_hours', { withTimezone: true, mode: 'date' })
    .array()
    .notNull()
    .default(sql`'{}'`),
  updatedAt: createdAt().$onUpdate(() => new Date()),
});

/**
 * Auto-approval drift alarms, one open per agent type × environment. An alarm stays open
 * until a reviewer acknowledges it with a comment; an acknowledged one re-arms its key only
 * once a check finds the rate back within bounds (`clearedAt`).
 */
export const driftAlarms = pgTable(
  'drift_alarms',
  {
    id: text('id').primaryKey(),
    agentType: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    trigger: text('trigger').$type<'ceiling' | 'rise'>().notNull(),
    /** The window's rate when the alarm was raised (0–1). */
    rate: doublePrecision('rate').notNull(),
    /** The rate over the baseline period before the window; null when it had no requests. */
    baseline: doublePrecision('baseline'),
    total: integer('total').notNull(),
    windowDays: integer('window_days').notNull(),
    raisedAt: at('raised_at').notNull(),
    currentRate: doublePrecision('current_rate').notNull(),
    checkedAt: at('checked_at').notNull(),
    acknowledgedAt: at('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    comment: text('comment'),
    clearedAt: at('cleared_at'),
  },
  (t) => [
    check('drift_alarms_trigger', sql`${t.trigger} in ('ceiling', 'rise')`),
    uniqueIndex('drift_alarms_open_idx')
      .on(t.agentType, t.environment)
      .where(sql`${t.acknowledgedAt} is null`),
    index('drift_alarms_raised_idx').on(t.raisedAt),
  ],
);

/** A request as stored: the one row type every part of the server passes around. */
export type RequestRow = typeof requests.$inferSelect;

// ---------------------------------------------------------------------------
// Whitelist governance: review state of every entry (policy-file and added), the reviews
// history, and hits per entry and agent (kept by the whitelist hits job, never on the
// decision path).

/** Review state of one whitelist entry, keyed by its id (a policy-file id or an added `wle_` id). */
export const whitelistReviews = pgTable(
  'whitelist_reviews',
  {
    entryId: text('entry_id').primaryKey(),
    source: text('source').$type<'policy' | 'added'>().notNull(),
    /** When the server first saw a policy-file entry: its "created" for the first review date. */
    firstSeenAt: at('first_seen_at').notNull().defaultNow(),
    /** Set by a renewal; null: the default (created + the review interval). */
    nextReviewAt: at('next_review_at'),
    /** A retired entry stops applying on every replica, even while the policy file still lists it. */
    retiredAt: at('retired_at'),
    retiredBy: text('retired_by'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [check('whitelist_reviews_source', sql`${t.source} in ('policy', 'added')`)],
);

export const whitelistReviewEvents = pgTable(
  'whitelist_review_events',
  {
    id: text('id').primaryKey(),
    entryId: text('entry_id').notNull(),
    action: text('action').$type<'renew' | 'retire'>().notNull(),
    by: text('by').notNull(),
    at: at('at').notNull().defaultNow(),
    comment: text('comment').notNull(),
    nextReviewAt: at('next_review_at'),
  },
  (t) => [
    check('whitelist_review_events_action', sql`${t.action} in ('renew', 'retire')`),
    index('whitelist_review_events_entry_idx').on(t.entryId, t.at),
  ],
);

/** Hits per UTC day, entry and agent: recomputed whole for the days that got new requests. */
export const whitelistHitsDaily = pgTable(
  'whitelist_hits_daily',
  {
    day: at('day').notNull(),
    entryId: text('entry_id').notNull(),
    agentId: text('agent_id').notNull(),
    agentType: text('agent_type').notNull(),
    count: integer('count').notNull(),
    lastHitAt: at('last_hit_at').notNull(),
  },
  (t) => [primaryKey({ name: 'whitelist_hits_daily_pk', columns: [t.day, t.entryId, t.agentId] })],
);

/** All-time hits per entry and agent, summed from the day rows: what a page load reads. */
export const whitelistHits = pgTable(
  'whitelist_hits',
  {
    entryId: text('entry_id').notNull(),
    agentId: text('agent_id').notNull(),
    agentType: text('agent_type').notNull(),
    count: integer('count').notNull(),
    lastHitAt: at('last_hit_at').notNull(),
  },
  (t) => [primaryKey({ name: 'whitelist_hits_pk', columns: [t.entryId, t.agentId] })],
);

// ── Connections and brokered execution (migration 0012) ─────────────────────────────────────

/**
 * Database targets the gateway runs approved statements on. The login (user and password) is
 * sealed under the master key in `credentialsEnc` and never leaves the server: agents name a
 * connection, the broker opens it. Deleting keeps the row, so past requests still name it.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    engine: text('engine').$type<'postgresql' | 'mysql' | 'mariadb'>().notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    database: text('database').notNull(),
    description: text('description').notNull().default(''),
    /** The environment every request on it is assessed in, whatever the agent states. */
    environment: text('environment'),
    credentialsEnc: text('credentials_enc').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deletedAt: at('deleted_at'),
  },
  (t) => [
    check('connections_engine', sql`${t.engine} in ('postgresql', 'mysql', 'mariadb')`),
    uniqueIndex('connections_name_idx').on(t.name).where(sql`${t.deletedAt} is null`),
  ],
);

/** Who may submit statements for a connection: one agent, or every agent of a type. */
export const connectionGrants = pgTable(
  'connection_grants',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').references(() => agents.id),
    agentType: text('agent_type'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check('connection_grants_one_grantee', sql`(${t.agentId} is null) <> (${t.agentType} is null)`),
    uniqueIndex('connection_grants_agent_idx')
      .on(t.connectionId, t.agentId)
      .where(sql`${t.agentId} is not null`),
    uniqueIndex('connection_grants_type_idx')
      .on(t.connectionId, t.agentType)
      .where(sql`${t.agentType} is not null`),
  ],
);

/**
 * A request submitted for the broker: which connection it runs on and how the assessment
 * classed it. Written with the request, so only a request submitted this way can be executed
 * by the gateway, and only on the connection its verdict names.
 */
export const brokeredRequests = pgTable('brokered_requests', {
  requestId: text('request_id')
    .primaryKey()
    .references(() => requests.id),
  connectionId: text('connection_id')
    .notNull()
    .references(() => connections.id),
  connectionName: text('connection_name').notNull(),
  /** Scored read-only: the statement runs in a READ ONLY transaction. */
  readOnly: boolean('read_only').notNull(),
  /** Statements the engine saw; a single one runs through the extended protocol (one statement only). */
  statements: integer('statements').notNull(),
});

// ---- Anomaly baselines (packages/server/src/anomaly/) ----

/**
 * One baseline per agent type (`scope = 'type'`, key the type) and per agent (`'agent'`, key
 * its id). `requests` counts everything folded in (the cold start reads it); the open minute
 * is the last calendar minute still counting, closed into its day once a later one starts.
 */
export const anomalyScopes = pgTable(
  'anomaly_scopes',
  {
    scope: text('scope').$type<'type' | 'agent'>().notNull(),
    key: text('key').notNull(),
    agentType: text('agent_type').notNull(),
    requests: integer('requests').notNull().default(0),
    firstSeen: at('first_seen').notNull(),
    lastSeen: at('last_seen').notNull(),
    openMinute: at('open_minute'),
    openCount: integer('open_count').notNull().default(0),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'anomaly_scopes_pk', columns: [t.scope, t.key] }),
    check('anomaly_scopes_scope', sql`${t.scope} in ('type', 'agent')`),
  ],
);

/** What a scope was seen to use: command families and targets, with when last. */
export const anomalyFeatures = pgTable(
  'anomaly_features',
  {
    scope: text('scope').$type<'type' | 'agent'>().notNull(),
    key: text('key').notNull(),
    feature: text('feature').$type<'family' | 'host' | 'path' | 'database' | 'table'>().notNull(),
    value: text('value').notNull(),
    count: integer('count').notNull(),
    firstSeen: at('first_seen').notNull(),
    lastSeen: at('last_seen').notNull(),
  },
  (t) => [
    primaryKey({ name: 'anomaly_features_pk', columns: [t.scope, t.key, t.feature, t.value] }),
    check('anomaly_features_feature', sql`${t.feature} in ('family', 'host', 'path', 'database', 'table')`),
    index('anomaly_features_last_seen_idx').on(t.lastSeen),
  ],
);

/** A scope's traffic per UTC day: requests per hour of day and the per-minute rate's moments. */
export const anomalyDays = pgTable(
  'anomaly_days',
  {
    scope: text('scope').$type<'type' | 'agent'>().notNull(),
    key: text('key').notNull(),
    day: at('day').notNull(),
    requests: integer('requests').notNull(),
    hours: integer('hours').array().notNull(),
    minutes: integer('minutes').notNull(),
    minuteSum: integer('minute_sum').notNull(),
    minuteSumSq: bigint('minute_sum_sq', { mode: 'number' }).notNull(),
    minuteMax: integer('minute_max').notNull(),
  },
  (t) => [
    primaryKey({ name: 'anomaly_days_pk', columns: [t.scope, t.key, t.day] }),
    index('anomaly_days_day_idx').on(t.day),
  ],
);

/** The baseline job's watermark (last request folded in) and the pending requests it waits on. */
export const anomalyState = pgTable('anomaly_state', {
  name: text('name').primaryKey(),
  afterAt: at('after_at').notNull(),
  afterId: text('after_id').notNull(),
  pendingIds: text('pending_ids').array().notNull().default(sql`'{}'`),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

// ---- Just-in-time grants (0013_grants) ----

/**
 * Time-boxed access an agent asked for. Its approval is the request `request_id` (kind
 * `grant`, decided in the queue like any request); the grant lives from that request's
 * decision for `duration_minutes`. `outcome`, `starts_at` and `ends_at` are copied from the
 * request once settled, for listing; whether a grant covers anything is always worked out
 * from the request's status and decision time, so no replica depends on the copy.
 */
export const grants = pgTable(
  'grants',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id')
      .notNull()
      .references(() => requests.id),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    /** The admin who asked on the agent's behalf; null when the agent asked itself. */
    requestedBy: text('requested_by'),
    scopeType: text('scope_type').$type<'connection' | 'command'>().notNull(),
    connection: text('connection'),
    kind: text('kind').$type<RequestKind>(),
    match: jsonb('match').$type<Record<string, unknown>>(),
    ceiling: text('ceiling').$type<GrantCeiling>().notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    reason: text('reason').notNull(),
    createdAt: createdAt(),
    startsAt: at('starts_at'),
    endsAt: at('ends_at'),
    outcome: text('outcome').$type<'approved' | 'rejected' | 'expired' | 'cancelled'>(),
    revokedAt: at('revoked_at'),
    revokedBy: text('revoked_by'),
    /** When the grant's end (expiry, revocation, refusal) was recorded; null while it may still act. */
    endedAt: at('ended_at'),
  },
  (t) => [
    check(
      'grants_scope',
      sql`(${t.scopeType} = 'connection' and ${t.connection} is not null and ${t.match} is null) or (${t.scopeType} = 'command' and ${t.connection} is null and ${t.match} is not null and ${t.kind} in ('shell', 'sql'))`,
    ),
    check('grants_ceiling', sql`${t.ceiling} in ('review', 'multi_party')`),
    check('grants_duration', sql`${t.durationMinutes} > 0`),
    check(
      'grants_outcome',
      sql`${t.outcome} is null or ${t.outcome} in ('approved', 'rejected', 'expired', 'cancelled')`,
    ),
    uniqueIndex('grants_request_idx').on(t.requestId),
    index('grants_live_idx').on(t.agentId).where(sql`${t.endedAt} is null`),
    index('grants_agent_created_idx').on(t.agentId, t.createdAt),
  ],
);

export type GrantRow = typeof grants.$inferSelect;
