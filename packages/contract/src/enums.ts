import { Type } from 'typebox';

/**
 * The vocabulary every part of Gatehouse shares: declared once, as constants (for code that
 * iterates or checks at run time) and as schemas (for the API, its OpenAPI document and
 * clients). The database columns, the risk engine, the verdict claims, the SDK and the web
 * app all take their unions from here.
 */

/** Risk tiers, from least to most human attention. Order matters: comparisons use the index. */
export const TIERS = ['auto', 'review', 'multi_party', 'deny'] as const;
export type Tier = (typeof TIERS)[number];

/** Where a request is in its life: `pending` is the only state that moves. */
export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'auto_approved',
  'denied',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export type FinalStatus = Exclude<RequestStatus, 'pending'>;
export const FINAL_STATUSES = REQUEST_STATUSES.filter((s): s is FinalStatus => s !== 'pending');
/** The statuses whose verdict says `allow`. */
export const ALLOW_STATUSES = ['approved', 'auto_approved'] as const satisfies readonly FinalStatus[];

export const REQUEST_KINDS = ['shell', 'sql'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** SQL dialects the risk engine parses; `postgresql` uses the real PostgreSQL parser. */
export const SQL_DIALECTS = [
  'postgresql',
  'mysql',
  'mariadb',
  'sqlite',
  'bigquery',
  'snowflake',
  'transactsql',
] as const;
export type SqlDialectName = (typeof SQL_DIALECTS)[number];

/** What a person can say about a pending request. */
export const DECISIONS = ['approve', 'reject'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

/** What a verdict says. */
export const VERDICT_DECISIONS = ['allow', 'deny'] as const;
export type VerdictDecision = (typeof VERDICT_DECISIONS)[number];

export const ROLES = ['admin', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isTier(value: unknown): value is Tier {
  return (TIERS as readonly unknown[]).includes(value);
}

export function isRequestStatus(value: unknown): value is RequestStatus {
  return (REQUEST_STATUSES as readonly unknown[]).includes(value);
}

export function isAllowStatus(status: RequestStatus): boolean {
  return (ALLOW_STATUSES as readonly string[]).includes(status);
}

export const TierSchema = Type.Enum(TIERS);
export const RequestStatusSchema = Type.Enum(REQUEST_STATUSES);
export const RequestKindSchema = Type.Enum(REQUEST_KINDS);
export const SqlDialectSchema = Type.Enum(SQL_DIALECTS);
export const DecisionSchema = Type.Enum(DECISIONS);
export const RoleSchema = Type.Enum(ROLES);
