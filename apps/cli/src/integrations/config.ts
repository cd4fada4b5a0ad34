import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isRecord } from '@gatehouse/contract';

// Configuration of the agent side (`run`, `hook`, `mcp`): environment first, then a JSON file.
// The file holds the agent key, so one that others can read is refused outright.

/** What the hook does with one Claude Code tool. */
export type ToolMapping =
  | 'allow'
  | 'deny'
  | { kind: 'shell' | 'sql'; command: string; dialect?: string; database?: string };

export interface HookSettings {
  /** How long the hook waits for people before it denies with "retry later". */
  waitSeconds: number;
  /** Tool name (or `prefix*`) → mapping; `Bash` is built in. */
  tools: Record<string, ToolMapping>;
}

export interface AgentConfig {
  url: string;
  agentKey: string;
  /** Where the settings came from, for messages. */
  source: string;
  /** The file that was (or would be) read; named in messages that tell the operator what to edit. */
  file: string;
  hook: HookSettings;
  mcp: { waitSeconds: number; timeoutSeconds: number };
  /** Send the command's output with the result (`run`). */
  record: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
}

export const DEFAULT_HOOK_WAIT_SECONDS = 50;
export const DEFAULT_MCP_WAIT_SECONDS = 50;
export const DEFAULT_MCP_TIMEOUT_SECONDS = 600;

/** The built-in mapping: Bash is exactly a shell command. */
export const BUILT_IN_TOOLS: Record<string, ToolMapping> = {
  Bash: { kind: 'shell', command: '{{{command}}}' },
};

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATEHOUSE_CONFIG) return resolve(env.GATEHOUSE_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'gatehouse', 'agent.json');
}

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const file = configPath(env);
  const fromFile = readConfigFile(file, Boolean(env.GATEHOUSE_CONFIG));
  const url = env.GATEHOUSE_URL || stringField(fromFile, 'url', file);
  const agentKey = env.GATEHOUSE_AGENT_KEY || stringField(fromFile, 'agentKey', file);
  if (!url || !agentKey) {
    throw new ConfigError(
      `no Gatehouse configured: set GATEHOUSE_URL and GATEHOUSE_AGENT_KEY, or write {"url", "agentKey"} to ${file} (mode 0600)`,
    );
  }
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`GATEHOUSE_URL is not an http(s) URL: ${JSON.stringify(url)}`);
  }
  const hook = objectField(fromFile, 'hook', file);
  const mcp = objectField(fromFile, 'mcp', file);
  const tools = {
    ...BUILT_IN_TOOLS,
    ...parseTools(objectField(hook, 'tools', file), `${file}: hook.tools`),
    ...(env.GATEHOUSE_HOOK_TOOLS
      ? parseTools(parseJson(env.GATEHOUSE_HOOK_TOOLS, 'GATEHOUSE_HOOK_TOOLS'), 'GATEHOUSE_HOOK_TOOLS')
      : {}),
  };
  return {
    url,
    agentKey,
    file,
    source: env.GATEHOUSE_URL && env.GATEHOUSE_AGENT_KEY ? 'environment' : file,
    hook: {
      waitSeconds: seconds(
        env.GATEHOUSE_HOOK_WAIT_SECONDS ?? hook?.waitSeconds,
        DEFAULT_HOOK_WAIT_SECONDS,
        'hook wait seconds',
      ),
      tools,
    },
    mcp: {
      waitSeconds: seconds(
        env.GATEHOUSE_MCP_WAIT_SECONDS ?? mcp?.waitSeconds,
        DEFAULT_MCP_WAIT_SECONDS,
        'mcp wait seconds',
      ),
      timeoutSeconds: seconds(
        env.GATEHOUSE_MCP_TIMEOUT_SECONDS ?? mcp?.timeoutSeconds,
        DEFAULT_MCP_TIMEOUT_SECONDS,
        'mcp command timeout seconds',
      ),
    },
    record: env.GATEHOUSE_RECORD
      ? env.GATEHOUSE_RECORD === '1' || env.GATEHOUSE_RECORD === 'true'
      : fromFile?.record === true,
  };
}

function readConfigFile(file: string, explicit: boolean): Record<string, unknown> | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return undefined;
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  // It holds the agent key: a file others can read (or write) is a leaked or planted credential.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ConfigError(
      `config file ${file} is accessible by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  const parsed = parseJson(text, file);
  if (!isRecord(parsed)) throw new ConfigError(`${file}: expected a JSON object`);
  return parsed;
}

function parseTools(value: unknown, where: string): Record<string, ToolMapping> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new ConfigError(`${where}: expected an object of tool name → mapping`);
  const tools: Record<string, ToolMapping> = {};
  for (const [name, mapping] of Object.entries(value)) {
    if (mapping === 'allow' || mapping === 'deny') {
      tools[name] = mapping;
    } else if (
      isRecord(mapping) &&
      (mapping.kind === 'shell' || mapping.kind === 'sql') &&
      typeof mapping.command === 'string' &&
      mapping.command.trim() !== '' &&
      (mapping.dialect === undefined || typeof mapping.dialect === 'string') &&
      (mapping.database === undefined || typeof mapping.database === 'string')
    ) {
      tools[name] = {
        kind: mapping.kind,
        command: mapping.command,
        ...(typeof mapping.dialect === 'string' ? { dialect: mapping.dialect } : {}),
        ...(typeof mapping.database === 'string' ? { database: mapping.database } : {}),
      };
    } else {
      throw new ConfigError(
        `${where}.${name}: expected "allow", "deny" or {"kind": "shell"|"sql", "command": "<template>"}`,
      );
    }
  }
  return tools;
}

function seconds(value: unknown, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 86_400) {
    throw new ConfigError(
      `${what} must be a number of seconds between 0 and 86400, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function stringField(
  source: Record<string, unknown> | undefined,
  name: string,
  file: string,
): string | undefined {
  const value = source?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${file}: "${name}" must be a string`);
  return value;
}

function objectField(
  source: Record<string, unknown> | undefined,
  name: string,
  file: string,
): Record<string, unknown> | undefined {
  const value = source?.[name];
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new ConfigError(`${file}: "${name}" must be an object`);
  return value;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${where}: not valid JSON (${(error as Error).message})`);
  }
}
