import type { Tool, ToolExecutionOptions } from 'ai';
import type { GatehouseClient } from '../client.ts';
import { GatehouseError } from '../errors.ts';
import { authorizeToolCall, type GuardOptions } from './guard.ts';

// Vercel AI SDK (`ai` ≥ 6). Only types are imported, so `@gatehouse/sdk/ai` costs nothing
// at runtime and works with whichever copy of `ai` the application has.

type Execute<INPUT, OUTPUT> = (
  input: INPUT,
  options: ToolExecutionOptions,
) => AsyncIterable<OUTPUT> | PromiseLike<OUTPUT> | OUTPUT;

/**
 * Returns a copy of `tool` whose `execute` first asks Gatehouse for the command that
 * `options.toRequest(input)` describes, and runs the original only with an allow verdict.
 * Anything else throws GatehouseToolRefusedError: the AI SDK turns a throwing tool into a
 * `tool-error` result, so the model reads why the command did not run and what to do.
 */
export function withGatehouse<INPUT, OUTPUT>(
  client: GatehouseClient,
  tool: Tool<INPUT, OUTPUT>,
  options: GuardOptions<INPUT>,
): Tool<INPUT, OUTPUT> {
  const execute = (tool as { execute?: Execute<INPUT, OUTPUT> }).execute;
  if (typeof execute !== 'function') {
    // A tool without execute runs on the client; there is nothing here to guard.
    throw new GatehouseError('ERR_INVALID_ARGUMENT', 'withGatehouse needs a tool with an execute function');
  }
  if (typeof options?.toRequest !== 'function') {
    throw new GatehouseError('ERR_INVALID_ARGUMENT', 'withGatehouse needs options.toRequest');
  }

  // Streaming tools (async generators) stay streaming; everything else stays a plain call.
  const streaming = Object.prototype.toString.call(execute) === '[object AsyncGeneratorFunction]';
  const guarded: Execute<INPUT, OUTPUT> = streaming
    ? async function* (input, callOptions) {
        await authorizeToolCall(client, input, options, callOptions?.abortSignal);
        yield* execute(input, callOptions) as AsyncIterable<OUTPUT>;
      }
    : async (input, callOptions) => {
        await authorizeToolCall(client, input, options, callOptions?.abortSignal);
        return (await execute(input, callOptions)) as OUTPUT;
      };
  return { ...tool, execute: guarded } as Tool<INPUT, OUTPUT>;
}
