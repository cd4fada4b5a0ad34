import { optionValues } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { runsAsOtherUser } from './interpreters.ts';
import { nested } from './stdin.ts';
import type { Handler } from './types.ts';

/**
 * Programs with a command language of their own that can run shell commands: vim's `:!cmd`,
 * gdb's `!cmd` and `shell cmd`. Commands given on the command line run at start-up, so
 * `vim -c ':!curl x | sh'` runs the download and `sudo vim -c ':sh'` is a root shell.
 */

/** What one editor or debugger command does with the shell, if anything. */
type Escape = { kind: 'command'; text: string } | { kind: 'shell' } | undefined;

/** vim/ex commands: `:!cmd`, `:silent !cmd`, `:r !cmd`, `:w !cmd`, `:sh`, `:terminal`, `:call system('…')`. */
function vimEscape(command: string): Escape {
  const c = command
    .trim()
    .replace(/^:+\s*/, '')
    .replace(/^silent!?\s*/, '');
  const bang = c.match(/^(?:r(?:ead)?|w(?:rite)?)?\s*!(.*)$/s);
  if (bang) return { kind: 'command', text: bang[1] as string };
  if (/^(sh(ell)?|term(inal)?)\b/.test(c)) return { kind: 'shell' };
  const call = c.match(/system\s*\(\s*(['"])(.*?)\1/s);
  if (call) return { kind: 'command', text: call[2] as string };
  return undefined;
}

/** gdb commands: `!cmd`, `shell cmd`, `pipe … | cmd`. */
function gdbEscape(command: string): Escape {
  const c = command.trim();
  const m = c.match(/^(?:!|shell\b)\s*(.*)$/s);
  if (!m) return undefined;
  return (m[1] as string).trim() === '' ? { kind: 'shell' } : { kind: 'command', text: m[1] as string };
}

function judgeEscape(inv: Invocation, found: Escape, label: string): void {
  if (found === undefined) return;
  if (found.kind === 'command') {
    inv.session.reparse(found.text, nested(inv, label), { kind: 'unknown' });
    return;
  }
  emit(
    inv.session,
    runsAsOtherUser(inv.scope) ? 'shell.privilege.root-shell' : 'shell.interactive-shell',
    `${label} opens a shell`,
  );
}

const vim: Handler = (inv) => {
  // `+cmd` runs an ex command; `+42` only jumps to a line.
  const commands = [
    ...optionValues(inv.argv, '-c', '--cmd'),
    ...inv.argv.filter((a) => a.startsWith('+') && !/^\+\d*$/.test(a)).map((a) => a.slice(1)),
  ];
  for (const command of commands) judgeEscape(inv, vimEscape(command), `${inv.name} -c`);
  // Editing is interactive and its effect is unknown, as before this handler existed.
  emit(inv.session, 'shell.unknown-program', inv.name);
};

const gdb: Handler = (inv) => {
  for (const command of optionValues(inv.argv, '-ex', '--ex', '-iex', '--eval-command', '-eval-command'))
    judgeEscape(inv, gdbEscape(command), `${inv.name} -ex`);
  emit(inv.session, 'shell.unknown-program', inv.name);
};

export const ESCAPE_HANDLERS: Record<string, Handler> = {
  vi: vim,
  vim,
  nvim: vim,
  view: vim,
  ex: vim,
  vimdiff: vim,
  gdb,
};
