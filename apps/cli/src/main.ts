import type { CommandIO } from './io.ts';
import { CliError } from './io.ts';
import { run, USAGE_ERROR } from './program.ts';

/** Runs one `gatehouse` invocation; every error ends as one `gatehouse: …` line and an exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    // Errors of ours (a CliError, or one with a code, such as ConfigError or DatabaseError)
    // say what is wrong; anything else is a bug, and its stack helps to find it.
    const known = error instanceof CliError || typeof code === 'string';
    io.stderr.write(
      `gatehouse: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
    );
    if (error instanceof CliError) return error.exitCode;
    // A bad configuration is the operator's to fix, like a bad option (server and agent side alike).
    return code === 'ERR_CONFIG' ? USAGE_ERROR : 1;
  }
}

const io: CommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
const code = await main(process.argv.slice(2), io);
// `start` and `mcp` keep running until a signal or the end of stdin; everything else ends here.
if (code !== -1) process.exitCode = code;
