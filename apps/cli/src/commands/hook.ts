import { HookAnswer } from '../integrations/hook-answer.ts';
import type { CommandIO } from '../io.ts';

// Only dependency-free modules are imported statically: a failure to load the rest of
// Gatehouse (a broken install, a bad config) must still end in a printed deny.

/** Time left after the wait for writing the answer, before Claude Code's hook timeout. */
const ANSWER_MARGIN_MS = 5_000;
const DEFAULT_WATCHDOG_MS = 55_000;

/**
 * `gatehouse hook <name>`: `args` are the words after `hook`, as given; `showHelp` writes the
 * command's help to stderr (stdout carries nothing but the answer).
 */
export async function hook(args: string[], io: CommandIO, showHelp: () => void): Promise<number> {
  const answer = new HookAnswer(io.stdout);
  const fail = async (reason: string, detail?: unknown) => {
    if (detail !== undefined) io.stderr.write(`gatehouse hook: ${describe(detail)}\n`);
    await answer.deny(`Gatehouse could not check this tool call, so it is denied: ${reason}`);
  };

  if (args.includes('--help') || args.includes('-h')) {
    showHelp();
    await fail('the hook was asked for help instead of a decision');
    return 0;
  }
  if (args[0] !== 'claude-code' || args.length > 1) {
    showHelp();
    await fail(
      args[0] === 'claude-code'
        ? `unexpected arguments after "claude-code": ${args.slice(1).join(' ')}`
        : `unknown hook "${args[0] ?? ''}" (expected "claude-code")`,
    );
    return 0;
  }

  // Whatever escapes — a throw in a callback, a rejected promise nobody awaited — is a deny.
  const onCrash = (error: unknown) => {
    void fail('the hook crashed', error).then(() => process.exit(0));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  // Answer before Claude Code's own timeout: a hook it kills counts as no objection.
  let watchdog = startWatchdog(DEFAULT_WATCHDOG_MS, fail);

  try {
    const stdin = await readAll(io.stdin);
    const { loadAgentConfig } = await import('../integrations/config.ts');
    const config = loadAgentConfig();
    clearTimeout(watchdog);
    watchdog = startWatchdog(config.hook.waitSeconds * 1000 + ANSWER_MARGIN_MS, fail);
    const { answerClaudeCode } = await import('../integrations/claude-code-hook.ts');
    await answerClaudeCode(stdin, config, answer, io.stderr);
    if (!answer.done) await fail('no decision was made');
  } catch (error) {
    await fail(describe(error), error);
  } finally {
    clearTimeout(watchdog);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
  return 0;
}

function startWatchdog(ms: number, fail: (reason: string) => Promise<void>): NodeJS.Timeout {
  return setTimeout(() => {
    void fail(`no decision within ${Math.round(ms / 1000)} s`).then(() => process.exit(0));
  }, ms);
}

const MAX_STDIN_BYTES = 1024 * 1024 + 1;

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.byteLength;
    chunks.push(buffer);
    // Stop reading past the limit; the size check then refuses the oversized input.
    if (size > MAX_STDIN_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    return String(error);
  } catch {
    return 'unprintable error';
  }
}
