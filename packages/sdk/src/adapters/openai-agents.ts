import {
  type FunctionTool,
  type RunContext,
  type ToolExecuteArgument,
  type ToolInputParameters,
  type ToolOptions,
  type ToolOutputSchema,
  tool,
} from '@openai/agents';
import type { GatehouseClient } from '../client.ts';
import { GatehouseError } from '../errors.ts';
import { authorizeToolCall, GatehouseToolRefusedError, type GuardOptions } from './guard.ts';

// OpenAI Agents SDK for JavaScript (`@openai/agents`). The guard sits between the SDK's input
// validation and `execute`, so `toRequest` sees the parsed, validated arguments: the same
// value `execute` receives.

/** The Agents SDK's own fallback text for a failing tool without an output schema. */
const GENERIC_TOOL_ERROR = 'An error occurred while running the tool. Please try again.';

type ErrorFunction = (context: RunContext<unknown>, error: unknown, details?: unknown) => unknown;

/**
 * `tool({...})` of the Agents SDK with a Gatehouse check before every call: `toRequest(input)`
 * names the command `execute` will run, and `execute` runs only with an allow verdict.
 *
 * A refusal reaches the model as the tool's result text (what happened, the request id, what
 * to do) — unless the tool has an `outputSchema` or `errorFunction: null`, where the SDK
 * propagates errors: then GatehouseToolRefusedError ends the run instead. Other errors keep
 * the SDK's behaviour (your `errorFunction`, or its generic message).
 */
export function gatehouseTool<
  TParameters extends ToolInputParameters = undefined,
  Context = unknown,
  Result = string,
  TOutputSchema extends ToolOutputSchema | undefined = undefined,
>(
  client: GatehouseClient,
  options: ToolOptions<TParameters, Context, TOutputSchema> & GuardOptions<ToolExecuteArgument<TParameters>>,
): FunctionTool<Context, TParameters, Result> {
  const { toRequest, authorizeTimeoutMs, ...toolOptions } = options as typeof options & {
    execute: (input: unknown, context?: RunContext<Context>, details?: { signal?: AbortSignal }) => unknown;
    errorFunction?: ErrorFunction | null;
    outputSchema?: unknown;
  };
  if (typeof toRequest !== 'function') {
    throw new GatehouseError('ERR_INVALID_ARGUMENT', 'gatehouseTool needs options.toRequest');
  }
  const execute = toolOptions.execute;
  if (typeof execute !== 'function') {
    throw new GatehouseError('ERR_INVALID_ARGUMENT', 'gatehouseTool needs options.execute');
  }
  const guard: GuardOptions<unknown> = {
    toRequest: toRequest as GuardOptions<unknown>['toRequest'],
    ...(authorizeTimeoutMs === undefined ? {} : { authorizeTimeoutMs }),
  };
  const callerErrorFunction = toolOptions.errorFunction;
  const explainRefusals = toolOptions.outputSchema === undefined && callerErrorFunction !== null;

  return tool({
    ...toolOptions,
    // Named after the original so that `tool()` derives the same name when none was given.
    execute: {
      async [execute.name || 'execute'](
        input: unknown,
        context?: RunContext<Context>,
        details?: { signal?: AbortSignal },
      ) {
        await authorizeToolCall(client, input, guard, details?.signal);
        return execute(input, context, details);
      },
    }[execute.name || 'execute'],
    ...(explainRefusals
      ? {
          errorFunction: (context: RunContext<unknown>, error: unknown, details?: unknown) => {
            if (error instanceof GatehouseToolRefusedError) return error.message;
            return callerErrorFunction ? callerErrorFunction(context, error, details) : GENERIC_TOOL_ERROR;
          },
        }
      : {}),
  } as unknown as ToolOptions<TParameters, Context, TOutputSchema>) as unknown as FunctionTool<
    Context,
    TParameters,
    Result
  >;
}
