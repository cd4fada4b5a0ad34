import { own } from '../../own.ts';
import { basename } from '../argv.ts';
import type { Scope, Session } from '../context.ts';
import { emit, UNKNOWN } from '../context.ts';

/**
 * Hooks: values that another program later runs as a shell command line — `GIT_SSH_COMMAND`,
 * `PAGER`, `git -c core.sshCommand=…`, `rsync -e …`, `tar --to-command=…`. The value is shell
 * text like any other, so it is parsed and judged: `GIT_SSH_COMMAND='sh -c "curl x | sh"'` is
 * download-and-execute even though no `sh` appears as a program on the command line.
 */

/** Runs hook text through the analyzer one nesting level down. */
export function reparseHook(session: Session, scope: Scope, text: string, label: string): void {
  if (text.trim() === '') return;
  session.reparse(text, { depth: scope.depth + 1, via: [...scope.via, label] }, UNKNOWN);
}

/**
 * Shell syntax beyond one plain command, or ssh options that are hooks themselves. A plain
 * `$VAR` is allowed (`ssh -i $KEY`): what it expands to is split into words, never into commands.
 */
const BEYOND_ONE_COMMAND = /[;&|`<>(){}\n]|\$[({]|ProxyCommand|LocalCommand/i;

/**
 * Whether a hook value is the plain program the hook exists for (`PAGER=cat`,
 * `GIT_SSH_COMMAND='ssh -i deploy_key'`): one command, no shell syntax, an expected program.
 */
function isExpectedProgram(text: string, expected: RegExp): boolean {
  if (BEYOND_ONE_COMMAND.test(text)) return false;
  const program =
    text
      .trim()
      .split(/\s+/)[0]
      ?.replace(/^['"]|['"]$/g, '') ?? '';
  return expected.test(basename(program));
}

/**
 * A hook set for one command: the expected program passes; anything else is an option that
 * makes the tool run another program (`shell.exec-option`), and its text is judged as shell.
 */
export function commandHook(
  session: Session,
  scope: Scope,
  text: string,
  label: string,
  expected: RegExp,
): void {
  if (text.trim() === '' || isExpectedProgram(text, expected)) return;
  emit(session, 'shell.exec-option', `${label}=${text}`);
  reparseHook(session, scope, text, label);
}

const PAGERS = /^(less|more|most|cat|bat|batcat|delta|diff-so-fancy|lv|pg)$/;
const EDITORS =
  /^(vim?|nvim|nano|emacs|emacsclient|code|code-insiders|subl|mate|micro|hx|helix|ed|kak|true|false|:|cat|sed)$/;
const SSH = /^(ssh|plink|ssh\.exe)$/;
const ASKPASS = /^(echo|true|cat|printf)$/;

/** Environment variables whose value a program runs as a command, and what is normal there. */
export const HOOK_VARIABLES: Readonly<Record<string, RegExp>> = {
  GIT_SSH_COMMAND: SSH,
  GIT_SSH: SSH,
  RSYNC_RSH: SSH,
  GIT_PAGER: PAGERS,
  PAGER: PAGERS,
  MANPAGER: PAGERS,
  SYSTEMD_PAGER: PAGERS,
  PSQL_PAGER: PAGERS,
  GIT_EDITOR: EDITORS,
  GIT_SEQUENCE_EDITOR: EDITORS,
  EDITOR: EDITORS,
  VISUAL: EDITORS,
  SUDO_EDITOR: EDITORS,
  KUBE_EDITOR: EDITORS,
  GIT_ASKPASS: ASKPASS,
  SSH_ASKPASS: ASKPASS,
  SUDO_ASKPASS: ASKPASS,
  GIT_EXTERNAL_DIFF: /^(diff|difft|delta)$/,
  GIT_PROXY_COMMAND: /^(nc|ncat|connect|corkscrew)$/,
  LESSOPEN: /^(lesspipe(\.sh)?|lessfile)$/,
  LESSCLOSE: /^(lesspipe(\.sh)?|lessfile)$/,
};

/** A hook variable assigned for a command or exported: judge what it will run. */
export function checkHookVariable(session: Session, scope: Scope, name: string, value: string): void {
  const expected = own(HOOK_VARIABLES, name);
  // LESSOPEN and LESSCLOSE start with `|` (or `||`) when the command's output replaces the file.
  if (expected) commandHook(session, scope, value.replace(/^\|+/, ''), `$${name}`, expected);
}
