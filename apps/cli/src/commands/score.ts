import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { AssessInput, Assessment, GatehouseRiskEngine, Kind, SqlDialect } from '@gatehouse/risk';
import { createRiskEngine, PolicyError, RiskInputError } from '@gatehouse/risk';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';
import { table } from '../table.ts';

export interface ScoreOptions {
  explain?: boolean;
  kind?: Kind;
  dialect?: string;
  env?: string;
  policy?: string;
}

/** `gatehouse score`: NDJSON in, NDJSON out; or, with --explain, the tables for one command. */
export async function score(words: string[], options: ScoreOptions, io: CommandIO): Promise<number> {
  const engine = await loadEngine(options.policy);
  if (options.explain) {
    const command = words.join(' ');
    if (command.trim() === '') throw new CliError('--explain needs a command (see `gatehouse score --help`)');
    const input: AssessInput = { kind: options.kind ?? 'shell', command };
    if (options.dialect) input.dialect = options.dialect as SqlDialect;
    if (options.env) input.context = { environment: options.env };
    io.stdout.write(explain(engine.assess(input)));
    return 0;
  }
  if (words.length > 0) throw new CliError('unexpected arguments (did you mean --explain?)');
  await scoreStream(engine, io);
  return 0;
}

async function loadEngine(policyFile: string | undefined): Promise<GatehouseRiskEngine> {
  if (!policyFile) return createRiskEngine();
  let text: string;
  try {
    text = await readFile(policyFile, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read policy ${policyFile}: ${(error as Error).message}`);
  }
  try {
    return await createRiskEngine(text);
  } catch (error) {
    if (error instanceof PolicyError) {
      // file:line:column, the form editors and CI annotations link to.
      const where = [policyFile, error.line, error.column].filter((part) => part !== undefined).join(':');
      throw new CliError(`invalid policy ${where}: ${error.reason}`);
    }
    throw error;
  }
}

/** One output line per input line, in order; bad lines answer with an error and do not stop the stream. */
async function scoreStream(engine: GatehouseRiskEngine, io: CommandIO): Promise<void> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    io.stdout.write(`${JSON.stringify(scoreLine(engine, line))}\n`);
  }
}

export function scoreLine(
  engine: GatehouseRiskEngine,
  line: string,
): Assessment | { error: string; code?: string } {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}`, code: 'ERR_INVALID_JSON' };
  }
  const input = toInput(request);
  if (typeof input === 'string') return { error: input, code: 'ERR_INPUT_INVALID' };
  try {
    return engine.assess(input);
  } catch (error) {
    if (error instanceof RiskInputError) return { error: error.message, code: error.code };
    return { error: `internal error: ${(error as Error).message}`, code: 'ERR_INTERNAL' };
  }
}

function toInput(value: unknown): AssessInput | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'each line must be a JSON object';
  const raw = value as Record<string, unknown>;
  if (raw.kind !== 'shell' && raw.kind !== 'sql') return 'kind must be "shell" or "sql"';
  if (typeof raw.command !== 'string') return 'command must be a string';
  const input: AssessInput = { kind: raw.kind, command: raw.command };
  if (raw.dialect !== undefined) {
    if (typeof raw.dialect !== 'string') return 'dialect must be a string';
    input.dialect = raw.dialect as SqlDialect;
  }
  if (raw.context !== undefined) {
    if (typeof raw.context !== 'object' || raw.context === null || Array.isArray(raw.context))
      return 'context must be an object';
    const context = { ...(raw.context as Record<string, unknown>) };
    if (context.now !== undefined) {
      const now = new Date(String(context.now));
      if (Number.isNaN(now.getTime())) return 'context.now must be a date';
      context.now = now;
    }
    input.context = context as AssessInput['context'];
  }
  return input;
}

/** A readable table: verdict line, parsed commands, reasons. */
export function explain(assessment: Assessment): string {
  const out: string[] = [];
  out.push(
    `tier: ${assessment.tier}   score: ${assessment.score}   policy: ${assessment.policyVersion}` +
      (assessment.whitelistedBy ? `   whitelisted by: ${assessment.whitelistedBy}` : ''),
    '',
    'commands',
  );
  out.push(
    table(
      ['#', 'kind', 'name', 'arguments', 'via'],
      assessment.commands.map((c, i) => [String(i + 1), c.kind, c.name, c.args.join(' '), c.via.join(' > ')]),
    ),
  );
  out.push('', 'reasons');
  out.push(
    assessment.reasons.length === 0
      ? '  (none: nothing in the command needs a human)'
      : table(
          ['rule', 'category', 'weight', 'floor', 'detail'],
          assessment.reasons.map((r) => [r.rule, r.category, String(r.weight), r.floor ?? '', r.detail]),
        ),
  );
  // What the engine read behind each reason (unwrapped command, decoded payload, target after
  // `cd`): the text an approver would otherwise have to work out from the source.
  const resolved = assessment.reasons.filter((r) => r.resolved);
  if (resolved.length > 0) {
    out.push('', 'resolved as');
    out.push(
      table(
        ['rule', 'resolved form'],
        resolved.map((r) => [r.rule, r.resolved ?? '']),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
