/**
 * What a just-in-time grant covers, as pure functions: no clock but the one handed in, no I/O.
 * The registry (registry.ts) keeps the live grants of this replica; these rules decide.
 */

import type { GrantCeiling, Tier } from '@gatehouse/contract';
import {
  type Assessment,
  type Category,
  type CompiledMatch,
  type Kind,
  matchesCommand,
  type ParsedCommand,
  type Reason,
  TIERS,
  validateWhitelistEntry,
} from '@gatehouse/risk';

export type LiveScope =
  | { type: 'connection'; connection: string }
  | { type: 'command'; kind: Kind; match: CompiledMatch };

/** A grant as the hot path reads it: everything needed to decide, nothing to look up. */
export interface LiveGrant {
  id: string;
  agentId: string;
  scope: LiveScope;
  ceiling: GrantCeiling;
  /** The grant's request was approved at this instant... */
  startsAt: Date;
  /** ...and the grant covers requests scored before this one, never at or after it. */
  endsAt: Date;
}

/**
 * A replica's live grants, indexed by agent: the submit step looks at the requesting agent's
 * grants only, however many other agents hold some. Removal builds a new list, so a caller
 * iterating one agent's grants never sees it change under it.
 */
export class LiveGrants {
  readonly #byId = new Map<string, LiveGrant>();
  readonly #byAgent = new Map<string, readonly LiveGrant[]>();

  constructor(grants: Iterable<LiveGrant> = []) {
    for (const grant of grants) this.add(grant);
  }

  add(grant: LiveGrant): void {
    this.delete(grant.id);
    this.#byId.set(grant.id, grant);
    this.#byAgent.set(grant.agentId, [...(this.#byAgent.get(grant.agentId) ?? []), grant]);
  }

  delete(id: string): void {
    const grant = this.#byId.get(id);
    if (!grant) return;
    this.#byId.delete(id);
    const rest = (this.#byAgent.get(grant.agentId) ?? []).filter((g) => g.id !== id);
    if (rest.length > 0) this.#byAgent.set(grant.agentId, rest);
    else this.#byAgent.delete(grant.agentId);
  }

  get(id: string): LiveGrant | undefined {
    return this.#byId.get(id);
  }

  ids(): IterableIterator<string> {
    return this.#byId.keys();
  }

  all(): IterableIterator<LiveGrant> {
    return this.#byId.values();
  }

  of(agentId: string): readonly LiveGrant[] {
    return this.#byAgent.get(agentId) ?? [];
  }
}

/** What a request offers to be matched: who asks, what it is, where it runs, how it scored. */
export interface Candidate {
  agentId: string;
  kind: Kind;
  /** The registered connection a brokered statement runs on; absent for anything else. */
  connection?: string | undefined;
  assessment: Pick<Assessment, 'tier' | 'reasons' | 'commands'>;
}

/**
 * Findings no grant lowers: what the parsers did not fully understand (parser uncertainty is
 * never auto, whoever approved what), and what is out of scope for an agent anywhere, even
 * where a custom policy weighs it below deny. The same list the whitelist refuses to lower.
 */
const NEVER_GRANTED: ReadonlySet<Category> = new Set([
  'uncertainty',
  'privilege',
  'credential_access',
  'exfiltration',
  'remote_code',
  'persistence',
  'defense_evasion',
  'network_config',
  'sabotage',
]);

const rank = (tier: Tier) => TIERS.indexOf(tier);

/** Whether a tier is one a grant with this ceiling may let through: above auto, at most the ceiling, never deny. */
export function withinCeiling(tier: Tier, ceiling: GrantCeiling): boolean {
  return tier !== 'deny' && tier !== 'auto' && rank(tier) <= rank(ceiling);
}

/** Whether the request is inside the grant's scope (ignores time and tier). */
export function inScope(scope: LiveScope, candidate: Candidate): boolean {
  if (scope.type === 'connection') {
    return (
      candidate.kind === 'sql' &&
      candidate.connection !== undefined &&
      candidate.connection === scope.connection
    );
  }
  if (candidate.kind !== scope.kind) return false;
  const commands = candidate.assessment.commands;
  // Nothing parsed means nothing is known to be inside the pattern; every command must be.
  if (commands.length === 0) return false;
  return commands.every((command: ParsedCommand) => matchesCommand(scope.match, command));
}

/** Whether this grant lets this request through at `now`. */
export function covers(grant: LiveGrant, candidate: Candidate, now: Date): boolean {
  if (grant.agentId !== candidate.agentId) return false;
  const t = now.getTime();
  if (t < grant.startsAt.getTime() || t >= grant.endsAt.getTime()) return false;
  if (!withinCeiling(candidate.assessment.tier, grant.ceiling)) return false;
  // An anomaly says this request is unlike the agent's usual ones: the grant was given for usual work.
  if (
    candidate.assessment.reasons.some((r) => NEVER_GRANTED.has(r.category) || r.rule.startsWith('anomaly.'))
  )
    return false;
  return inScope(grant.scope, candidate);
}

/**
 * The grant that covers the request, if any: the one with the lowest ceiling (the narrowest
 * permission that suffices), then the one ending first, then by id — so every replica picks
 * the same one.
 */
export function coveringGrant(
  grants: Iterable<LiveGrant>,
  candidate: Candidate,
  now: Date,
): LiveGrant | undefined {
  let best: LiveGrant | undefined;
  for (const grant of grants) {
    if (!covers(grant, candidate, now)) continue;
    if (
      !best ||
      rank(grant.ceiling) < rank(best.ceiling) ||
      (grant.ceiling === best.ceiling &&
        (grant.endsAt.getTime() < best.endsAt.getTime() ||
          (grant.endsAt.getTime() === best.endsAt.getTime() && grant.id < best.id)))
    )
      best = grant;
  }
  return best;
}

/**
 * The session id of a grant request an admin made on an agent's behalf. It names the asker, so
 * the decision rules can keep them from approving their own ask.
 */
export const onBehalfSession = (userId: string) => `on-behalf:${userId}`;

/** The rule id a request approved under a grant carries (`grant:<id>`). */
export const grantRule = (id: string) => `grant:${id}`;

/** The grant a stored request was approved under, read from its reasons; null if none. */
export function grantOf(request: { reasons: readonly { rule: string }[] }): string | null {
  const reason = request.reasons.find((r) => r.rule.startsWith('grant:'));
  return reason ? reason.rule.slice('grant:'.length) : null;
}

/**
 * The assessment with the grant applied: auto, with a first reason `grant:<id>` that says
 * what the request scored without it. Score and the other reasons are kept, so the audit
 * event and the approver's history show both what the command was and why it ran.
 */
export function applyGrant<T extends Pick<Assessment, 'tier' | 'reasons'>>(
  assessment: T,
  grant: LiveGrant,
): T {
  const reason: Reason = {
    rule: grantRule(grant.id),
    category: 'context',
    weight: 0,
    detail: `approved under just-in-time grant ${grant.id} (up to ${grant.ceiling}, until ${grant.endsAt.toISOString()}); scored ${assessment.tier} without it`,
  };
  return { ...assessment, tier: 'auto', reasons: [reason, ...assessment.reasons] };
}

/**
 * Compiles a stored command pattern with the risk engine's own validator (the whitelist's
 * pattern language); undefined when the engine refuses it, so a bad pattern covers nothing.
 */
export function compilePattern(kind: Kind, match: Record<string, unknown>): CompiledMatch | undefined {
  try {
    const entry = validateWhitelistEntry({
      id: 'grant',
      kind,
      match,
      expires: new Date('9999-12-31T00:00:00Z'),
    });
    return entry.match;
  } catch {
    return undefined;
  }
}
