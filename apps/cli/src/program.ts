import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CommandIO } from './io.ts';

// Every command, subcommand and option of `gatehouse`, parsed by commander, which also writes
// `--help` for each of them and refuses unknown options. Implementations load only when their
// command runs: `gatehouse hook` must not depend on the rest of Gatehouse loading (a broken
// install must still end in a printed deny), and `--help` should not open a database driver.

/** Usage and configuration errors: an unknown option, a missing argument, a bad value. */
export const USAGE_ERROR = 2;

/** What a command's implementation answers: its exit code; -1 keeps the process running (servers). */
type Action = () => Promise<number>;

const TARGET_HELP = `
Where and as whom it calls Gatehouse: --url, else GATEHOUSE_URL, else this machine's server
(http://GATEHOUSE_HOST:GATEHOUSE_PORT); --token, else GATEHOUSE_ADMIN_TOKEN, else the admin token
the first start saved in GATEHOUSE_DATA_DIR. A personal token with the role the call needs works
as well as the admin's.`;

/**
 * Parses `argv` (without `node` and the script) and runs the command it names. Returns the exit
 * code; errors the command throws propagate, for the caller to print.
 */
export async function run(argv: string[], io: CommandIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, async (action) => {
    code = await action();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Commander has printed the message (or the help that was asked for).
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : USAGE_ERROR;
  }
  return code;
}

function buildProgram(io: CommandIO, exec: (action: Action) => Promise<void>): Command {
  const program = new Command('gatehouse')
    .description('Zero-trust approval for the commands AI agents run.')
    .usage('<command> [options]')
    // Options after `run`'s command belong to that command, never to us.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`gatehouse: ${text.replace(/^error: /, '')}`),
    });
  // Settings above are copied to each command as it is created; the hint is per command.
  const command = (parent: Command, name: string, description: string) => {
    const created = parent.command(name).description(description);
    const path = [name, ...ancestors(parent)].reverse().join(' ');
    return created.showHelpAfterError(`(see \`gatehouse ${path} --help\`)`);
  };
  const group = (name: string, description: string) => {
    const created = command(program, name, description);
    // An unknown subcommand is named with its group, so the message says what was meant.
    return created.on('command:*', ([unknown]: string[]) => {
      created.error(`unknown ${name} subcommand "${unknown}"`, {
        code: 'commander.unknownCommand',
        exitCode: USAGE_ERROR,
      });
    });
  };

  command(program, 'start', 'run Gatehouse: API and jobs in one process')
    .addOption(
      new Option('--workers <n>', 'API processes behind the one port (needs DATABASE_URL)').argParser(
        (value) => {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 1 || n > 64)
            throw new InvalidArgumentError('a whole number from 1 to 64');
          return n;
        },
      ),
    )
    .addHelpText(
      'after',
      `
With no configuration it is the embedded mode (PGlite in ./.gatehouse, in-process jobs);
DATABASE_URL and REDIS_URL move storage and jobs out independently. With DATABASE_URL the API
runs in GATEHOUSE_WORKERS processes (default: one per core). \`gatehouse config\` shows every
variable it reads and its effective value.`,
    )
    .action((options: { workers?: number }) =>
      exec(async () => (await import('./commands/start.ts')).start(io, options)),
    );

  command(program, 'config', 'print the effective configuration and where each value came from')
    .option('--json', 'one JSON array of {variable, value, source}')
    .addHelpText(
      'after',
      `
Shows every variable the server reads (GATEHOUSE_*, DATABASE_URL, REDIS_URL) with its value as
the server would use it and its source: env or default. The admin token, the master key and
the OIDC client secret are redacted, and so are passwords inside DATABASE_URL and REDIS_URL.
A configuration the server would refuse is reported the same way \`gatehouse start\` reports it.`,
    )
    .action((options: { json?: boolean }) =>
      exec(async () => (await import('./commands/config.ts')).config(options, io)),
    );

  command(program, 'score', 'score commands: NDJSON on stdin, or --explain one command')
    .argument('[command...]', 'with --explain: the command to score')
    .option('--explain', 'print the parsed commands and the reasons for one command as tables')
    .addOption(new Option('--kind <kind>', 'with --explain: what the command is').choices(['shell', 'sql']))
    .option('--dialect <dialect>', 'SQL dialect (postgresql, mysql, …)')
    .option('--env <environment>', 'the environment to score for (dev, staging, prod, …)')
    .option('--policy <file>', 'YAML policy (may "extends: default"); default: the bundled policy')
    .addHelpText(
      'after',
      `
Without --explain, reads NDJSON lines {kind, command, dialect?, context?} from stdin and writes
one NDJSON assessment per line, in order. A line that is not valid JSON, or not a valid request,
gets an {"error": …} line and the rest continue.`,
    )
    .action((words: string[], options) =>
      exec(async () => (await import('./commands/score.ts')).score(words, options, io)),
    );

  command(program, 'run', 'run a command only after Gatehouse allows it')
    .usage('[options] -- <command…>')
    .argument('[command...]', 'the command: one shell command line, or a program and its arguments')
    .option('--justification <text>', 'why the command runs (shown to approvers)')
    .option('--environment <environment>', 'dev | staging | prod …')
    .option('--host <host>', 'the host it runs on (bound into the verdict)')
    .option('--record', "send the command's output with the result (GATEHOUSE_RECORD=1)")
    // Options end at `--` or at the command's first word: the rest is the command's own.
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Asks Gatehouse for a verdict on the command and runs it only with a verified allow verdict,
with this terminal's stdin/stdout/stderr; then reports how it ended.
One argument after -- is a shell command line ('make test | tee log'); several are a program
and its arguments, quoted for the shell as given.

Configured by GATEHOUSE_URL and GATEHOUSE_AGENT_KEY, or ~/.config/gatehouse/agent.json
(GATEHOUSE_CONFIG). Exit status: the command's own; 126 when it did not run (refused,
expired, Gatehouse unreachable or misconfigured); 130 when interrupted while waiting; 2 for usage errors.`,
    )
    .action((words: string[], options) =>
      exec(async () => (await import('./commands/run.ts')).runCommand(words, options, io)),
    );

  command(program, 'sql', 'run SQL on a registered connection through the Gatehouse gateway')
    .usage('--connection <name> [options] <statement>')
    .argument('<statement>', 'the SQL statement, as one argument')
    .requiredOption('--connection <name>', 'the connection the gateway runs it on (e.g. orders-prod)')
    .option('--json', 'print {columns, rows, rowCount, truncated} as one JSON line instead of a table')
    .option('--justification <text>', 'why the statement runs (shown to approvers)')
    .addHelpText(
      'after',
      `
Asks Gatehouse for a verdict on the statement for that connection; once allowed, the gateway runs
it with the connection's own credentials (never seen here) and prints the masked rows.
Configured like \`gatehouse run\` (GATEHOUSE_URL, GATEHOUSE_AGENT_KEY or the config file).
Exit status: 0 with a result; 126 when it did not run (refused, expired, target or Gatehouse
unreachable); 1 when the target refused it or it timed out; 130 when interrupted; 2 for usage errors.`,
    )
    .action((statement: string, options) =>
      exec(async () => (await import('./commands/sql.ts')).sqlCommand(statement, options, io)),
    );

  // The hook's stdout is its answer to Claude Code and it exits 0 on every path, so it parses
  // its own arguments: help goes to stderr, and anything it does not understand is a deny.
  command(program, 'hook', 'agent hooks: hook claude-code (PreToolUse event JSON on stdin)')
    .usage('claude-code  (PreToolUse event JSON on stdin)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      `
Prints exactly one PreToolUse answer — {"hookSpecificOutput": {"permissionDecision": "allow"|"deny", …}} —
and exits 0, on every path: an unknown hook, an unknown option or --help (shown on stderr) is a deny.
Waits up to GATEHOUSE_HOOK_WAIT_SECONDS (default 50) for approvers.`,
    )
    .action((_options, self: Command) =>
      exec(async () =>
        (await import('./commands/hook.ts')).hook(self.args, io, () => self.outputHelp({ error: true })),
      ),
    );

  command(program, 'mcp', 'MCP server (stdio) with Gatehouse-approved run_shell and run_sql tools')
    .addHelpText(
      'after',
      `
A Model Context Protocol server on stdio with two tools. run_shell {command, cwd?, justification?}:
the command runs only after Gatehouse allows it; its output comes back with secrets masked.
run_sql {connection, statement, justification?}: the gateway runs the statement on the named
connection once Gatehouse allows it, and the masked rows come back.
Configured like \`gatehouse run\` (GATEHOUSE_URL, GATEHOUSE_AGENT_KEY or the config file);
GATEHOUSE_MCP_WAIT_SECONDS (default 50) bounds the wait for approvers per call,
GATEHOUSE_MCP_TIMEOUT_SECONDS (default 600) the run time of a command.`,
    )
    .action(() => exec(async () => (await import('./commands/mcp.ts')).mcp(io)));

  const keys = group('keys', 'manage signing keys');
  withTarget(command(keys, 'rotate', 'rotate the signing keys of a running Gatehouse'), 'admin')
    .addHelpText(
      'after',
      `
Old keys stay published until every token they signed has expired (audit keys stay trusted for good).${TARGET_HELP}`,
    )
    .action((options) => exec(async () => (await import('./commands/keys.ts')).rotate(options, io)));

  const audit = group('audit', 'verify or export the tamper-evident audit log').addHelpText(
    'after',
    `
Reads the database of this deployment (DATABASE_URL, or the embedded data dir) and trusts
only audit keys sealed under its master key. While a running server holds the embedded data
dir, or with --url, asks that server's API instead (admin or auditor), which verifies and
exports with its own trusted keys.`,
  );
  withTarget(command(audit, 'verify', 'verify every audit chain and signed checkpoint'), 'admin or auditor')
    .option('--file <export.jsonl>', 'verify an export offline instead of the database')
    .option('--keys <jwks.json>', 'the audit keys to trust (e.g. saved from GET /v1/audit/keys)')
    .option(
      '--witness <file>',
      'also compare with this witness file (a copy, a webhook receiver’s file); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--expect-head <checkpoint:hash>',
      'a head recorded earlier ("head:" of an earlier run): fail if the database lost it',
    )
    .option('--since', 'read only what changed since the newest verification report that passed')
    .addHelpText(
      'after',
      `
Reports, with its position, any modified, deleted, inserted or reordered event and any
truncation after a checkpoint. Exit code 0 only when everything verifies, 1 when it does not.
For an export, --keys pins the keys to trust instead of the file's own; for the database,
instead of those sealed under the master key.

The database is compared with the witness outside it (GATEHOUSE_AUDIT_WITNESS_FILE, by
default <data dir>/audit-witness.jsonl, used whenever it is there and required when named)
and with each --witness: a database behind one (fewer checkpoints, a shorter or missing lane)
fails, with what is missing and since when. A witness that is named but cannot be read, or
does not verify, fails too. An OK run prints "head: CHECKPOINT:HASH": kept elsewhere, it is
the --expect-head of a later run.${TARGET_HELP}`,
    )
    .action((options) => exec(async () => (await import('./commands/audit.ts')).verify(options, io)));
  withTarget(
    command(audit, 'export', 'write a verifiable slice of the audit log as JSONL'),
    'admin or auditor',
  )
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .option('--since <time>', 'events from this time (ISO 8601)')
    .option('--until <time>', 'events before this time (ISO 8601)')
    .option('--agent <agent-id>', "only this agent's events")
    .addHelpText(
      'after',
      `
Writes the matching events with the chain segments and checkpoints needed to verify them
offline (gatehouse audit verify --file).${TARGET_HELP}`,
    )
    .action((options) => exec(async () => (await import('./commands/audit.ts')).exportEvents(options, io)));

  const agents = group('agents', 'incident response: cut an agent off');
  withTarget(command(agents, 'revoke', 'revoke an agent everywhere within a second'), 'admin')
    .argument('<agent-id>', 'the agent to cut off')
    .addHelpText(
      'after',
      `
Its key stops working, its sessions are refused by every replica within a second, its pending
requests are cancelled, and its unexpired verdicts are refused at use.${TARGET_HELP}`,
    )
    .action((agentId: string, options) =>
      exec(async () => (await import('./commands/agents.ts')).revoke(agentId, options, io)),
    );

  const connections = group(
    'connections',
    'databases the gateway runs brokered SQL on, and who may use them',
  );
  withTarget(command(connections, 'list', 'list connections and their grants (never their logins)'), 'admin')
    .option('--json', 'one JSON line per connection')
    .addHelpText('after', TARGET_HELP)
    .action((options) => exec(async () => (await import('./commands/connections.ts')).list(options, io)));
  withTarget(command(connections, 'add', 'register a connection; the gateway seals its login'), 'admin')
    .argument('<name>', 'what agents name it in `gatehouse sql --connection`')
    .addOption(
      new Option('--engine <engine>', 'the target database')
        .choices(['postgresql', 'mysql', 'mariadb'])
        .makeOptionMandatory(),
    )
    .requiredOption('--host <host>', 'the target host')
    .option('--port <port>', 'the target port (default: the engine’s)', (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 65_535)
        throw new InvalidArgumentError('a port from 1 to 65535');
      return n;
    })
    .requiredOption('--database <name>', 'the database on the target')
    .requiredOption('--user <user>', 'the login the gateway uses (give it least privilege)')
    .option('--password-stdin', 'read the password from stdin (else GATEHOUSE_CONNECTION_PASSWORD)')
    .option('--description <text>', 'what it is, for the admin page')
    .option('--environment <env>', 'every request on it is assessed in this environment')
    .addHelpText(
      'after',
      `
The password is never a flag (flags show in the process list): pipe it with --password-stdin or
set GATEHOUSE_CONNECTION_PASSWORD.${TARGET_HELP}`,
    )
    .action((name: string, options) =>
      exec(async () => (await import('./commands/connections.ts')).add(name, options, io)),
    );
  withTarget(
    command(connections, 'grant', 'let an agent, or every agent of a type, use a connection'),
    'admin',
  )
    .argument('<name>', 'the connection')
    .option('--agent <id>', 'one agent')
    .option('--agent-type <type>', 'every agent of this type')
    .addHelpText('after', TARGET_HELP)
    .action((name: string, options) =>
      exec(async () => (await import('./commands/connections.ts')).grant(name, options, io)),
    );

  const policy = group('policy', 'try a policy before it is in force');
  withTarget(
    command(policy, 'backtest', 'show what a candidate policy would change in the request history'),
    'admin or auditor',
  )
    .requiredOption('--policy <file.yaml>', 'the candidate policy')
    .addOption(
      new Option('--since <window>', 'how far back: a duration (30d, 12h) or an ISO 8601 instant')
        .default('30d')
        .argParser((value: string) => {
          if (/^[1-9][0-9]{0,3}[hd]$/.test(value) || Number.isFinite(Date.parse(value))) return value;
          throw new InvalidArgumentError('a duration such as 30d or 12h, or an ISO 8601 instant');
        }),
    )
    .option('--json', 'print the whole result as JSON instead of the summary')
    .addHelpText(
      'after',
      `
The server re-scores every shell and SQL request since --since under the candidate policy plus
the whitelist entries in force, and answers how many requests move between tiers, examples of
each move, and the auto-approval rate now and under the candidate. A progress bar is drawn on
stderr when it is a terminal. The run is audited (policy.backtested, with the policy's SHA-256,
never its text).${TARGET_HELP}`,
    )
    .action((options) => exec(async () => (await import('./commands/policy.ts')).backtest(options, io)));

  const whitelist = group('whitelist', 'whitelist governance: entries due for review');
  withTarget(
    command(whitelist, 'review', 'print the whitelist entries due for review, with their hits'),
    'admin or auditor',
  )
    .addOption(
      new Option(
        '--within <days>',
        "due: the review date passed or is within this many days (default: the policy's)",
      ).argParser((value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 366)
          throw new InvalidArgumentError('a whole number from 0 to 366');
        return n;
      }),
    )
    .option('--json', 'print the queue as JSON')
    .addHelpText(
      'after',
      `
Lists every entry (policy file and added) whose review date passed or is near: its pattern, review
state, the date it stops applying unless renewed, its blast radius, and its hits (count, last hit,
agents and agent types). Renew or retire an entry in the web console (Whitelist review).${TARGET_HELP}`,
    )
    .action((options) => exec(async () => (await import('./commands/whitelist.ts')).review(options, io)));

  const incident = group('incident', "bundle an agent's record with its audit proof");
  withTarget(command(incident, 'export', "write an agent's incident bundle"), 'admin or auditor')
    .requiredOption('--agent <agent-id>', 'the agent')
    .requiredOption('--since <time>', 'from this time (ISO 8601)')
    .option('--out <dir>', 'the bundle directory (default ./incident-<agent>-<time>)')
    .addHelpText(
      'after',
      `
Bundles the agent's requests, decisions, verdicts, executions, recordings, sessions and the
audit slice with its proof, with a manifest of SHA-256 digests. Reads the database of this
deployment like \`gatehouse audit\`: while a running server holds the embedded data dir, or
with --url, asks that server's API instead. Exit code 1 when the audit slice does not verify.${TARGET_HELP}`,
    )
    .action((options) =>
      exec(async () => (await import('./commands/incident.ts')).exportBundle(options, io)),
    );

  return program;
}

/** The options of every command that calls the API. */
function withTarget(command: Command, who: string): Command {
  return command.option('--url <url>', 'Gatehouse URL').option('--token <token>', `${who} token`);
}

function ancestors(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.push(c.name());
  return names;
}
