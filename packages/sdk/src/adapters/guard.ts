import type { GatehouseClient } from '../client.ts';
import { errorDecision } from '../decision.ts';
import { GatehouseError, type GatehouseErrorCode } from '../errors.ts';
import type { AuthorizationDecision, AuthorizeInput, RequestStatus } from '../types.ts';

/** What a tool call asks Gatehouse for: the exact command the tool is about to run. */
export type ToolRequest = Pick<AuthorizeInput, 'kind' | 'command' | 'dialect' | 'context'>;

export interface GuardOptions<INPUT> {
  /**
   * Maps the validated tool input to the command the tool runs. It must describe exactly what
   * `execute` will do with this input: the verdict is bound to this command, not to the tool.
   */
  toRequest: (input: INPUT) => ToolRequest | Promise<ToolRequest>;
  /** Longest to wait for a verdict, people included; defaults to the client's `timeoutMs`. */
  authorizeTimeoutMs?: number;
}

/**
 * Thrown instead of running a tool that Gatehouse did not allow. The message is written for
 * the model: what happened, the request id, and what to do next.
 */
export class GatehouseToolRefusedError extends Error {
  override readonly name = 'GatehouseToolRefusedError';
  readonly code = 'GATEHOUSE_REFUSED';
  readonly status: RequestStatus | 'error';
  readonly requestId: string | undefined;
  readonly errorCode: GatehouseErrorCode | undefined;

  constructor(readonly decision: AuthorizationDecision) {
    super(refusalMessage(decision));
    this.status = decision.status;
    this.requestId = decision.requestId;
    this.errorCode = decision.error?.code;
  }
}

/**
 * Authorizes one tool call. Resolves with the allowing decision, or throws
 * GatehouseToolRefusedError: a mapping that throws, a refusal or any failure stops the call.
 */
export async function authorizeToolCall<INPUT>(
  client: GatehouseClient,
  input: INPUT,
  options: GuardOptions<INPUT>,
  signal?: AbortSignal,
): Promise<AuthorizationDecision> {
  let request: ToolRequest;
  try {
    request = await options.toRequest(input);
  } catch (error) {
    throw new GatehouseToolRefusedError(
      errorDecision(
        undefined,
        new GatehouseError('ERR_INVALID_ARGUMENT', `toRequest failed: ${describe(error)}`),
      ),
    );
  }
  const decision = await client.authorize({
    ...request,
    ...(signal ? { signal } : {}),
    ...(options.authorizeTimeoutMs === undefined ? {} : { timeoutMs: options.authorizeTimeoutMs }),
  });
  if (decision.allowed !== true) throw new GatehouseToolRefusedError(decision);
  return decision;
}

/** A refusal in words a model (or a person) can act on. */
export function refusalMessage(decision: AuthorizationDecision): string {
  const id = decision.requestId ? ` (request ${decision.requestId})` : '';
  const why = decision.reasons
    .map((reason) => reason.detail ?? reason.rule)
    .filter(Boolean)
    .slice(0, 3)
    .join('; ');
  const because = why ? ` Reasons: ${why}.` : '';
  switch (decision.status) {
    case 'denied':
      return `Gatehouse denied this command${id}; policy does not allow it.${because} Do not retry it; choose another approach or ask a person.`;
    case 'rejected':
      return `An approver rejected this command${id}.${because} Do not retry it; ask a person how to proceed.`;
    case 'expired':
      return `Nobody approved this command before its deadline${id}, so it did not run. Ask a person to approve it, then retry.`;
    case 'cancelled':
      return `The request for this command was cancelled${id}; it did not run.`;
    default: {
      const error = decision.error;
      if (error?.code === 'ERR_TIMEOUT' && decision.requestId) {
        return `This command is waiting for approval${id} and did not run. Retry later, once a person has approved it.`;
      }
      return `Gatehouse could not authorize this command${id}, so it did not run (${error?.code ?? 'ERR_INTERNAL'}: ${error?.message ?? 'unknown failure'}).`;
    }
  }
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unprintable error';
  }
}
