/**
 * @gatehouse/risk — decides what a human must see before an agent's command runs.
 * `await createRiskEngine(policy?)` once, then `engine.assess({kind, command, dialect?, context?})`.
 */
export type { GatehouseRiskEngine, WhitelistEntryData } from './engine.ts';
export { createRiskEngine, MAX_COMMAND_LENGTH } from './engine.ts';
export type { PolicyErrorCode, RiskInputErrorCode } from './errors.ts';
export { PolicyError, RiskInputError } from './errors.ts';
export { loadDefaultPolicy, policyVersion, readDefaultPolicyText } from './policy/default.ts';
export { loadPolicy, resolvePolicy } from './policy/load.ts';
export { matchesCommand } from './policy/match.ts';
export { policyJsonSchema } from './policy/schema.ts';
export type {
  Adjustment,
  CommandMatch,
  CompiledMatch,
  Policy,
  PolicyDocument,
  PolicyRule,
  Thresholds,
  WhitelistEntry,
} from './policy/types.ts';
export { validateWhitelistEntry } from './policy/validate.ts';
export { SHELL_RULE_IDS } from './shell/rule-ids.ts';
export { SQL_RULE_IDS } from './sql/index.ts';
export * from './types.ts';
