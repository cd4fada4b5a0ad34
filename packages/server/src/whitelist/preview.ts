import type {
  WhitelistBlocker,
  WhitelistPreviewAnswer,
  WhitelistPreviewBody,
  WhitelistScope,
} from '@gatehouse/contract';
import { schema } from '@gatehouse/db';
import {
  type AssessContext,
  type AssessInput,
  type Assessment,
  type GatehouseRiskEngine,
  RiskInputError,
  type SqlDialect,
} from '@gatehouse/risk';
import { eq } from 'drizzle-orm';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import {
  DEFAULT_WHITELIST_SCOPE,
  engineEntry,
  patternFields,
  resolveScope,
  scopeSourceOf,
  type WhitelistRecord,
} from './entry.ts';
import { currentEngine } from './loader.ts';

const TIER_WORDS = { auto: 'auto', review: 'review', multi_party: 'multi-party', deny: 'deny' } as const;

/**
 * What an "approve and whitelist" entry would really do, before it is saved: the request's
 * command scored as the next identical request of this agent in this environment would be,
 * with the entries already saved (`before`) and with the candidate added (`after`). When
 * the candidate does not bring it to auto, `blockers` says what keeps it up: environment or
 * agent-type floors and boosts (which no entry lowers), a tier above review, or reasons the
 * pattern does not cover. Read-only: nothing is stored or audited.
 */
export async function previewWhitelist(
  rt: Runtime,
  requestId: string,
  body: WhitelistPreviewBody,
): Promise<WhitelistPreviewAnswer> {
  const [found] = await rt.database.db
    .select({ request: schema.requests, agentType: schema.agents.type })
    .from(schema.requests)
    .innerJoin(schema.agents, eq(schema.agents.id, schema.requests.agentId))
    .where(eq(schema.requests.id, requestId));
  if (!found) throw new GatehouseError('REQUEST_NOT_FOUND', `no request ${requestId}`);
  const { request, agentType } = found;
  // A grant request asks for access, it is no command: there is nothing an entry could match.
  if (request.kind === 'grant')
    throw new GatehouseError('WHITELIST_INVALID', 'a grant request has no command to whitelist');
  const source = scopeSourceOf(request, agentType);
  const scope: WhitelistScope = body.scope ?? DEFAULT_WHITELIST_SCOPE;
  const now = new Date();
  const candidate: WhitelistRecord = {
    id: 'preview',
    kind: request.kind,
    ...patternFields(body.pattern),
    reason: 'preview',
    // Any instant after `now` scores the same; expiry is checked when the entry is saved.
    expiresAt: new Date(now.getTime() + 86_400_000),
    ...resolveScope(scope, source),
  };
  // Scored over the entries in the database, not this replica's engine, which may be a reload behind.
  const current = await currentEngine(rt, now);
  const scoped = withCandidate(current, candidate);
  const input: AssessInput = {
    kind: request.kind,
    command: request.command,
    ...(request.dialect ? { dialect: request.dialect as SqlDialect } : {}),
    context: { ...(request.context as AssessContext), agentType, agentId: request.agentId, now },
  };
  const before = current.assess(input);
  const after = scoped.assess(input);
  const blockers =
    after.tier === 'auto'
      ? []
      : explain(withCandidate(current, { ...candidate, scope: 'global', scopeValue: null }), input, after);
  return {
    kind: request.kind,
    scope: candidate.scope,
    scopeValue: candidate.scopeValue,
    environment: source.environment,
    agentType,
    before: scored(before),
    after: scored(after),
    lowersToAuto: before.tier !== 'auto' && after.tier === 'auto',
    blockers,
  };
}

function withCandidate(engine: GatehouseRiskEngine, candidate: WhitelistRecord): GatehouseRiskEngine {
  try {
    return engine.withWhitelist([engineEntry(candidate)]);
  } catch (error) {
    if (error instanceof RiskInputError) throw new GatehouseError('WHITELIST_INVALID', error.message);
    throw error;
  }
}

function scored(assessment: Assessment) {
  return {
    tier: assessment.tier,
    score: assessment.score,
    whitelistedBy: assessment.whitelistedBy ?? null,
  };
}

/**
 * Why the candidate leaves the command above auto, found by scoring it again without each
 * profile the engine applies (`unscoped` holds the candidate for everyone, so dropping the
 * environment or agent type does not also drop the entry). The engine keeps its reasons to
 * itself; asking it counterfactuals keeps this answer true to what it does.
 */
function explain(unscoped: GatehouseRiskEngine, input: AssessInput, after: Assessment): WhitelistBlocker[] {
  const context = input.context ?? {};
  const { environment, agentType } = context;
  const without = (drop: keyof AssessContext) => {
    const { [drop]: _, ...rest } = context;
    return unscoped.assess({ ...input, context: rest });
  };
  const tier = TIER_WORDS[after.tier];
  const blockers: WhitelistBlocker[] = [];
  if (environment) {
    const elsewhere = without('environment');
    if (elsewhere.tier === 'auto') {
      blockers.push({
        kind: 'environment',
        message:
          after.tier !== 'review' && after.score > elsewhere.score
            ? `the ${environment} environment adds to the score (${after.score} here, ${elsewhere.score} without it), which makes it ${tier}; a whitelist entry lowers only review`
            : `the ${environment} environment keeps this command at ${tier} or above, and no whitelist entry lowers an environment floor`,
      });
    }
  }
  if (agentType) {
    const otherType = without('agentType');
    if (otherType.tier === 'auto') {
      blockers.push({
        kind: 'agent_type',
        message: `the agent type ${agentType} keeps this command at ${tier} (its profile raises the score, sets a floor, or takes no whitelist entries)`,
      });
    }
  }
  if (blockers.length > 0) return blockers;
  const { environment: _e, agentType: _t, ...plain } = context;
  const bare = unscoped.assess({ ...input, context: plain });
  if (bare.tier === 'multi_party' || bare.tier === 'deny') {
    return [
      {
        kind: 'tier',
        message: `this command is ${TIER_WORDS[bare.tier]} on its own (score ${bare.score}); a whitelist entry lowers only review`,
      },
    ];
  }
  if (bare.tier === 'auto') {
    // Only the environment and the agent type together keep it up.
    return [
      {
        kind: 'environment',
        message: `the ${environment} environment and the agent type ${agentType} together keep this command at ${tier}`,
      },
    ];
  }
  const uncovered = after.reasons
    .filter((r) => r.category !== 'read_only' && r.weight > 0)
    .map((r) => `${r.rule} (${r.category.replaceAll('_', ' ')})`);
  return [
    {
      kind: 'not_covered',
      message: `the entry does not lower every reason to stop: ${uncovered.join(', ') || 'the command does not match the pattern'}; a pattern must match every command that has a reason, and uncertainty, privilege and other out-of-scope findings are never whitelisted`,
    },
  ];
}
