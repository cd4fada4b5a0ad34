import type { Assessment, Kind } from '@gatehouse/risk';
import type { Runtime } from '../platform/runtime.ts';
import { grantRegistry } from './registry.ts';
import { applyGrant, coveringGrant } from './scope.ts';

/**
 * The submit step: a request a live grant of its agent covers (in scope, scored above auto and
 * at most the grant's ceiling, never deny) is approved with reason `grant:<id>`. Reads only
 * this replica's memory and the clock, so a grant ends at the same instant on every replica.
 * Where no registry runs, nothing is covered (fails closed).
 */
export function applyGrants<T extends Assessment>(
  rt: Runtime,
  agent: { id: string },
  input: { kind: Kind; connection?: string | undefined },
  assessment: T,
): T {
  const registry = grantRegistry(rt);
  if (!registry) return assessment;
  const grant = coveringGrant(
    registry.live(agent.id),
    { agentId: agent.id, kind: input.kind, connection: input.connection, assessment },
    new Date(),
  );
  return grant ? applyGrant(assessment, grant) : assessment;
}
