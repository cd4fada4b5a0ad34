import { isRecord } from '@gatehouse/contract';
import type { ToolRequest } from '@gatehouse/sdk';
import type { HookSettings, ToolMapping } from './config.ts';
import { shellQuote } from './shell.ts';

// Claude Code's PreToolUse event → what to ask Gatehouse. Pure: no I/O.

export interface HookEvent {
  session_id?: string;
  cwd?: string;
  hook_event_name?: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
}

export class HookInputError extends Error {
  override readonly name = 'HookInputError';
  readonly code = 'ERR_HOOK_INPUT';
}

export type HookAction =
  | { type: 'allow'; reason: string }
  | { type: 'deny'; reason: string }
  | { type: 'authorize'; request: ToolRequest };

export const MAX_EVENT_BYTES = 1024 * 1024;

export function parseEvent(text: string): HookEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HookInputError('the hook input is not JSON');
  }
  if (!isRecord(value)) throw new HookInputError('the hook input is not a JSON object');
  if (value.hook_event_name !== undefined && value.hook_event_name !== 'PreToolUse') {
    throw new HookInputError(
      `this hook handles PreToolUse events, got ${JSON.stringify(value.hook_event_name)}`,
    );
  }
  if (typeof value.tool_name !== 'string' || value.tool_name === '')
    throw new HookInputError('the hook input has no tool_name');
  if (!isRecord(value.tool_input)) throw new HookInputError('the hook input has no tool_input object');
  for (const field of ['session_id', 'cwd', 'tool_use_id'] as const) {
    if (value[field] !== undefined && typeof value[field] !== 'string')
      throw new HookInputError(`${field} must be a string`);
  }
  return value as unknown as HookEvent;
}

/** Exact names first, then the longest matching `prefix*` pattern (e.g. `mcp__github__*`). */
export function mappingFor(toolName: string, tools: HookSettings['tools']): ToolMapping | undefined {
  if (Object.hasOwn(tools, toolName)) return tools[toolName];
  let best: { length: number; mapping: ToolMapping } | undefined;
  for (const [pattern, mapping] of Object.entries(tools)) {
    if (!pattern.endsWith('*')) continue;
    const prefix = pattern.slice(0, -1);
    if (toolName.startsWith(prefix) && (!best || prefix.length > best.length))
      best = { length: prefix.length, mapping };
  }
  return best?.mapping;
}

export function actionFor(event: HookEvent, settings: HookSettings, configFile: string): HookAction {
  const mapping = mappingFor(event.tool_name, settings.tools);
  if (mapping === undefined) {
    // Unknown tools are denied: allowing them would let any new tool (or MCP server) act
    // without a check. The reason tells the operator exactly where to decide otherwise.
    return {
      type: 'deny',
      reason:
        `Gatehouse has no rule for the tool "${event.tool_name}", so it is denied. ` +
        `An operator can map it under "hook.tools" in ${configFile} (or GATEHOUSE_HOOK_TOOLS), e.g. ` +
        `{"${event.tool_name}": "allow"} or {"${event.tool_name}": {"kind": "shell", "command": "<template with {{field}}>"}}.`,
    };
  }
  if (mapping === 'allow') {
    return {
      type: 'allow',
      reason: `Gatehouse configuration allows the tool "${event.tool_name}" without a request.`,
    };
  }
  if (mapping === 'deny') {
    return { type: 'deny', reason: `Gatehouse configuration denies the tool "${event.tool_name}".` };
  }
  const command = render(mapping.command, event.tool_input, mapping.kind);
  if (command.trim() === '') throw new HookInputError(`the ${event.tool_name} call has an empty command`);
  const justification = event.tool_input.description;
  return {
    type: 'authorize',
    request: {
      kind: mapping.kind,
      command,
      ...(mapping.dialect ? { dialect: mapping.dialect } : {}),
      context: {
        tool: `claude-code:${event.tool_name}`,
        ...(event.cwd ? { cwd: event.cwd } : {}),
        ...(typeof justification === 'string' && justification ? { justification } : {}),
        ...(mapping.database ? { database: mapping.database } : {}),
      },
    },
  };
}

/**
 * Fills a command template from `tool_input`. `{{{field}}}` inserts the value as it is (the
 * Bash tool's command); `{{field}}` inserts it as one shell word for shell requests, so the
 * scored command is what a shell would see. Dotted paths reach nested fields.
 */
export function render(template: string, input: Record<string, unknown>, kind: 'shell' | 'sql'): string {
  return template.replace(
    /\{\{\{\s*([\w.]+)\s*\}\}\}|\{\{\s*([\w.]+)\s*\}\}/g,
    (_, raw?: string, quoted?: string) => {
      const path = (raw ?? quoted) as string;
      const value = lookup(input, path);
      if (value === undefined || value === null) {
        throw new HookInputError(`tool_input.${path} is missing, but the tool's mapping needs it`);
      }
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return raw !== undefined || kind === 'sql' ? text : shellQuote(text);
    },
  );
}

function lookup(input: Record<string, unknown>, path: string): unknown {
  let current: unknown = input;
  for (const key of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}
