/** Shapes of the API answers the web app reads (docs/web-api.md and the root README). */

import type { RequestStatus, Tier } from '@gatehouse/contract';

// The vocabulary comes from the wire contract; only types cross into the browser bundle.
export type { RequestKind, Role, Tier } from '@gatehouse/contract';
export type Status = RequestStatus;

export interface User {
  id: string;
  email: string;
  roles: string[];
  groups?: string[];
  disabledAt?: string | null;
}

export interface Reason {
  rule: string;
  category: string;
  weight: number;
  detail: string;
  floor?: Tier;
}

export interface ParsedCommand {
  kind: 'shell' | 'sql';
  name: string;
  args: string[];
  text: string;
  via: string[];
  dialect?: string;
  /** SQL: the tables the statement names. */
  tables?: string[];
}

export interface RequestContext {
  cwd?: string;
  host?: string;
  database?: string;
  environment?: string;
  tool?: string;
  justification?: string;
  /** On a grant request: the grant it asks for. */
  grant?: string;
}

export interface AgentSummary {
  id: string;
  name: string;
  type: string;
  owner: string | null;
  ownerEmail?: string | null;
  /** Environments the agent is bound to; null when it states its own. */
  environments?: string[] | null;
}

export interface Decision {
  userId: string;
  email: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  createdAt: string;
}

export interface SimilarRequest {
  id: string;
  command: string;
  status: Status;
  createdAt: string;
  agent: { id: string; name: string };
  environment: string | null;
}

/** The agent's report of how an allowed command ended. */
export interface Execution {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  reportedAt: string;
}

/** The approver view of a request; list items carry the first part, the detail all of it. */
export interface RequestView {
  id: string;
  agentId: string;
  sessionId: string | null;
  /** `grant`: a just-in-time grant request (its grant id is `context.grant`). */
  kind: 'shell' | 'sql' | 'grant';
  dialect: string | null;
  command: string;
  context: RequestContext | null;
  status: Status;
  tier: Tier;
  score: number;
  reasons: Reason[];
  commands: ParsedCommand[] | null;
  policyVersion: string;
  requiredApprovals: number;
  deadline: string | null;
  createdAt: string;
  decidedAt: string | null;
  agent?: AgentSummary;
  decisions?: Decision[];
  eligible?: boolean;
  similar?: SimilarRequest[];
  /** History items: who decided, in order. */
  decidedBy?: { email: string; decision: 'approve' | 'reject' }[];
  /** Detail: the execution report (null: it never ran) and whether output is kept. */
  execution?: Execution | null;
  recorded?: boolean;
}

export type WhitelistScope = 'agent' | 'agent_type' | 'environment' | 'global';

export interface WhitelistPreview {
  scope: WhitelistScope;
  scopeValue: string | null;
  environment: string | null;
  agentType: string;
  before: { tier: Tier; score: number; whitelistedBy: string | null };
  after: { tier: Tier; score: number; whitelistedBy: string | null };
  lowersToAuto: boolean;
  blockers: { kind: string; message: string }[];
}

export interface WhitelistEntry {
  id: string;
  kind: 'shell' | 'sql';
  command: string | null;
  match: Record<string, unknown> | null;
  reason: string;
  scope: WhitelistScope;
  scopeValue: string | null;
  createdBy: { id: string; email: string };
  requestId: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  active: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Group {
  id: string;
  name: string;
  environments: string[] | null;
  kinds: string[] | null;
  members: (string | { id: string; email?: string })[];
  escalatesTo: string | null;
}

export interface Agent {
  id: string;
  name: string;
  type: string;
  owner: string | null;
  /** Environments it may act in (the first is the default); null when it states its own. */
  environments: string[] | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface RecordingChunk {
  t: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface Recording {
  chunks: RecordingChunk[];
  truncated?: boolean;
  masked?: unknown;
}

export interface Providers {
  local: boolean;
  oidc: boolean;
}
