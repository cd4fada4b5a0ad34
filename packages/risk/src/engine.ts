import { RiskInputError } from './errors.ts';
import { loadDefaultPolicy } from './policy/default.ts';
import { evaluate, indexPolicy } from './policy/evaluate.ts';
import { loadPolicy, resolvePolicy } from './policy/load.ts';
import type { CommandMatch, Policy, PolicyDocument, WhitelistEntry } from './policy/types.ts';
import { ValidationIssue, validateWhitelistEntry } from './policy/validate.ts';
import { ShellAnalyzer } from './shell/analyzer.ts';
import { BashParser, initShellParser } from './shell/parser.ts';
import { analyzeSql, initSql } from './sql/index.ts';
import {
  type Analysis,
  type AssessInput,
  type Assessment,
  type Finding,
  type ParsedCommand,
  type RiskEngine,
  SQL_DIALECTS,
  type SqlDialect,
} from './types.ts';

/** Rule ids the engine itself can emit (besides the analyzers'). */
export const ENGINE_RULE_IDS = ['input.unknown-dialect', 'engine.internal-error'] as const;

/** Largest command `assess` accepts, in UTF-16 code units (about 64 KiB of ASCII). */
export const MAX_COMMAND_LENGTH = 64 * 1024;

const DIALECTS: ReadonlySet<string> = new Set(SQL_DIALECTS);

export interface GatehouseRiskEngine extends RiskEngine {
  /** A copy of this engine whose policy also holds `entries` (e.g. whitelist entries kept in a database). */
  withWhitelist(entries: readonly unknown[]): GatehouseRiskEngine;
  /**
   * A copy of this engine without the whitelist entries of these ids, the policy file's and
   * added ones alike (e.g. entries whose review lapsed or that a reviewer retired).
   */
  withoutWhitelist(ids: Iterable<string>): GatehouseRiskEngine;
  /** The policy file's own whitelist entries (profiles included), as data `withWhitelist` accepts back. */
  policyWhitelist(): WhitelistEntryData[];
}

/** A whitelist entry as plain data: its match without the compiled regex. */
export interface WhitelistEntryData extends Omit<WhitelistEntry, 'match'> {
  match?: CommandMatch;
}

/**
 * Creates an engine. `policy` is YAML text or a document returned by `loadPolicy`; omitted, the
 * bundled default policy is used. A policy with `extends: default` is merged onto the default.
 * This is the only asynchronous and the only I/O step: it loads the parsers (wasm) and reads the
 * package's own default policy file.
 */
export async function createRiskEngine(policy?: string | PolicyDocument): Promise<GatehouseRiskEngine> {
  const [defaults] = await Promise.all([loadDefaultPolicy(), initShellParser(), initSql()]);
  let resolved: Policy;
  if (policy === undefined) resolved = resolvePolicy(defaults);
  else {
    const doc = typeof policy === 'string' ? loadPolicy(policy, { source: 'policy' }) : policy;
    resolved = resolvePolicy(doc, defaults);
  }
  return buildEngine(resolved, new BashParser(), []);
}

function buildEngine(
  policy: Policy,
  parser: BashParser,
  extraWhitelist: WhitelistEntry[],
): GatehouseRiskEngine {
  const index = indexPolicy(policy);
  // The shell analyzer hands SQL it finds (psql -c, heredocs) to the SQL analyzer through this sink.
  let sqlSink: Analysis[] = [];
  const shell = new ShellAnalyzer(
    parser,
    (text: string, dialect: SqlDialect, via: string[]) => {
      const analysis = safeSql(text, dialect);
      for (const command of analysis.commands) command.via = [...via, ...command.via];
      sqlSink.push(analysis);
    },
    { productionNames: policy.productionNames },
  );

  function analyze(input: AssessInput): Analysis {
    if (input.kind === 'sql') {
      const dialect = input.dialect && DIALECTS.has(input.dialect) ? input.dialect : 'postgresql';
      const analysis = safeSql(input.command, dialect);
      if (input.dialect && !DIALECTS.has(input.dialect)) {
        analysis.findings.push({
          rule: 'input.unknown-dialect',
          detail: `unknown dialect ${String(input.dialect).slice(0, 40)}`,
        });
      }
      return analysis;
    }
    sqlSink = [];
    let analysis: Analysis;
    try {
      analysis = shell.analyze(input.command);
    } catch (error) {
      analysis = {
        commands: [],
        findings: [{ rule: 'engine.internal-error', detail: (error as Error).message }],
      };
    }
    const commands: ParsedCommand[] = [...analysis.commands];
    const findings: Finding[] = [...analysis.findings];
    for (const sql of sqlSink) {
      // SQL found inside a shell command (psql -c) is about the statements parsed from it.
      const first = commands.length;
      commands.push(...sql.commands);
      const indexes = sql.commands.map((_, i) => first + i);
      for (const finding of sql.findings) {
        findings.push(indexes.length > 0 && !finding.commands ? { ...finding, commands: indexes } : finding);
      }
    }
    return { commands, findings };
  }

  return {
    policy: {
      version: policy.version,
      approvalDeadlineSeconds: policy.approvalDeadlineSeconds,
      ...(policy.masking !== undefined ? { masking: policy.masking } : {}),
      ...(policy.insights !== undefined ? { insights: policy.insights } : {}),
      ...(policy.whitelistReview !== undefined ? { whitelistReview: policy.whitelistReview } : {}),
    },
    assess(input: AssessInput): Assessment {
      checkInput(input);
      const analysis = analyze(input);
      return evaluate(
        policy,
        {
          kind: input.kind,
          command: input.command,
          commands: analysis.commands,
          findings: analysis.findings,
          context: input.context,
        },
        extraWhitelist,
        index,
      );
    },
    withWhitelist(entries: readonly unknown[]): GatehouseRiskEngine {
      const validated = entries.map((entry, i) => {
        try {
          return validateWhitelistEntry(entry, [i]);
        } catch (error) {
          if (error instanceof ValidationIssue) {
            throw new RiskInputError('ERR_INPUT_INVALID', `whitelist entry ${i}: ${error.reason}`);
          }
          throw error;
        }
      });
      return buildEngine(policy, parser, [...extraWhitelist, ...validated]);
    },
    withoutWhitelist(ids: Iterable<string>): GatehouseRiskEngine {
      const drop = new Set(ids);
      if (drop.size === 0) return this;
      return buildEngine(
        { ...policy, whitelist: policy.whitelist.filter((e) => !drop.has(e.id)) },
        parser,
        extraWhitelist.filter((e) => !drop.has(e.id)),
      );
    },
    policyWhitelist(): WhitelistEntryData[] {
      return policy.whitelist.map(entryData);
    },
  };
}

function entryData(entry: WhitelistEntry): WhitelistEntryData {
  const { match, ...rest } = entry;
  const data: WhitelistEntryData = { ...rest, expires: new Date(entry.expires) };
  if (match) {
    const { argRegex: _compiled, ...plain } = match;
    data.match = structuredClone(plain);
  }
  return data;
}

function safeSql(text: string, dialect: SqlDialect): Analysis {
  try {
    return analyzeSql(text, dialect);
  } catch (error) {
    return {
      commands: [{ kind: 'sql', name: 'UNPARSED', args: [], text, via: [], dialect }],
      findings: [
        { rule: 'engine.internal-error', detail: `SQL analyzer failed: ${(error as Error).message}` },
      ],
    };
  }
}

function checkInput(input: AssessInput): void {
  if (typeof input !== 'object' || input === null)
    throw new RiskInputError('ERR_INPUT_INVALID', 'input must be an object');
  if (input.kind !== 'shell' && input.kind !== 'sql') {
    throw new RiskInputError('ERR_INPUT_INVALID', 'kind must be "shell" or "sql"');
  }
  if (typeof input.command !== 'string')
    throw new RiskInputError('ERR_INPUT_INVALID', 'command must be a string');
  if (input.command.length > MAX_COMMAND_LENGTH) {
    throw new RiskInputError(
      'ERR_INPUT_TOO_LARGE',
      `command is ${input.command.length} characters; the limit is ${MAX_COMMAND_LENGTH}`,
    );
  }
}
