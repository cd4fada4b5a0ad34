import { createRiskEngine, type GatehouseRiskEngine } from '../src/index.ts';
import type { AssessContext, Assessment, Tier } from '../src/types.ts';
import { TIERS } from '../src/types.ts';

let shared: Promise<GatehouseRiskEngine> | undefined;

/** One default-policy engine per test file (creating one loads the wasm parsers). */
export function defaultEngine(): Promise<GatehouseRiskEngine> {
  shared ??= createRiskEngine();
  return shared;
}

export function atLeast(actual: Tier, minimum: Tier): boolean {
  return TIERS.indexOf(actual) >= TIERS.indexOf(minimum);
}

export function shell(engine: GatehouseRiskEngine, command: string, context?: AssessContext): Assessment {
  return engine.assess(context ? { kind: 'shell', command, context } : { kind: 'shell', command });
}

export function rules(assessment: Assessment): string[] {
  return assessment.reasons.map((r) => r.rule);
}
