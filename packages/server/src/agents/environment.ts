import { GatehouseError } from '../errors.ts';

/** The environments an agent may act in, as its session carries them; null when unbound. */
export type EnvironmentBinding = readonly string[] | null;

/**
 * The environment a request is scored and routed in. The environment selects the policy's
 * profile and the approver groups, so an agent bound to environments cannot pick another: a
 * prompt-injected agent would otherwise claim `dev` for a production command. A request that
 * names none is placed in the agent's first environment. An unbound agent's statement stands.
 */
export function bindEnvironment<C extends { environment?: string }>(
  binding: EnvironmentBinding,
  context: C,
): C {
  if (!binding || binding.length === 0) return context;
  if (context.environment === undefined) return { ...context, environment: binding[0] };
  if (binding.includes(context.environment)) return context;
  throw new GatehouseError(
    'ENVIRONMENT_NOT_ALLOWED',
    `this agent may act only in ${binding.join(', ')}; the request names ${context.environment}`,
  );
}
