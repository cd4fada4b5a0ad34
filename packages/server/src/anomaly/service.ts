import type { AgentTypeBaseline, BaselineAnswer, BaselineFeature, BaselineQuery } from '@gatehouse/contract';
import type { Runtime } from '../platform/runtime.ts';
import { anomalySettings, burstThreshold, compileScope, isLearning, type StoredScope } from './model.ts';
import { baselinesUpdatedAt, loadBaselines } from './store.ts';

/** The baselines per agent type as the console shows them, read from the database. */
export async function baselineSummary(rt: Runtime, query: BaselineQuery): Promise<BaselineAnswer> {
  const settings = anomalySettings(rt.risk.policy.insights);
  const now = Date.now();
  const db = rt.database.db;
  const [stored, updatedAt] = await Promise.all([
    loadBaselines(
      db,
      settings.windowDays,
      new Date(now),
      query.agentType ? { agentType: query.agentType } : undefined,
    ),
    baselinesUpdatedAt(db),
  ]);
  const agents = new Map<string, StoredScope[]>();
  for (const s of stored)
    if (s.ref.scope === 'agent') agents.set(s.ref.agentType, [...(agents.get(s.ref.agentType) ?? []), s]);
  const types: AgentTypeBaseline[] = stored
    .filter((s) => s.ref.scope === 'type')
    .sort((a, b) => b.state.requests - a.state.requests || a.ref.key.localeCompare(b.ref.key))
    .map((s) => {
      const compiled = compileScope(s, settings, now);
      const own = agents.get(s.ref.key) ?? [];
      return {
        agentType: s.ref.key,
        learning: isLearning(compiled, settings),
        requests: s.state.requests,
        remaining: Math.max(0, settings.learningRequests - s.state.requests),
        windowRequests: compiled.windowRequests,
        agents: own.length,
        agentsLearning: own.filter((a) => a.state.requests < settings.learningRequests).length,
        firstSeen: new Date(s.state.firstSeen).toISOString(),
        lastSeen: new Date(s.state.lastSeen).toISOString(),
        hourShare: compiled.hourShare,
        usualPerMinute: compiled.usualPerMinute,
        burstThreshold: burstThreshold(compiled.usualPerMinute, settings),
        families: top(s, 'family', query.limit),
        targets: top(s, 'target', query.limit),
      };
    });
  return {
    enabled: settings.enabled,
    windowDays: settings.windowDays,
    learningRequests: settings.learningRequests,
    offHoursPercent: settings.offHoursPercent,
    flaggedTargets: [...settings.targets],
    updatedAt: updatedAt?.toISOString() ?? null,
    types,
  };
}

function top(scope: StoredScope, which: 'family' | 'target', limit: number): BaselineFeature[] {
  return scope.features
    .filter((f) => (which === 'family') === (f.feature === 'family'))
    .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen || a.value.localeCompare(b.value))
    .slice(0, limit)
    .map((f) => ({
      feature: f.feature,
      value: f.value,
      count: f.count,
      lastSeen: new Date(f.lastSeen).toISOString(),
    }));
}
