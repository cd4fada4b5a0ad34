import { own } from '../../own.ts';
import type { Scope, Session } from '../context.ts';
import { emit } from '../context.ts';
import { checkHookVariable, reparseHook } from './hooks.ts';

/** Loader hooks: variables that make every later program load code the variable names. */
const PRELOAD = /^(LD_PRELOAD|LD_AUDIT|DYLD_INSERT_LIBRARIES)$/;

/**
 * Option variables that load code into every later interpreter of their kind: `--require` and
 * loaders for node, `-M`/`-d` for perl, `-r` for ruby, agents for the JVM.
 */
const CODE_LOADING_OPTIONS: Readonly<Record<string, RegExp>> = {
  NODE_OPTIONS: /(^|\s)(-r|--require|--import|--loader|--experimental-loader)(=|\s|$)/,
  PERL5OPT: /(^|\s)-[a-zA-Z]*[MmdI]/,
  RUBYOPT: /(^|\s)-[a-zA-Z]*r/,
  JAVA_TOOL_OPTIONS: /-javaagent|-agentpath|-agentlib/,
  _JAVA_OPTIONS: /-javaagent|-agentpath|-agentlib/,
  JDK_JAVA_OPTIONS: /-javaagent|-agentpath|-agentlib/,
};

/** Assignments that only reach the command they prefix (`X=1 cmd`, `env X=1 cmd`). */
const ONE_COMMAND = new Set(['prefix', 'env']);

/** Variables whose value bash runs as a command (before each prompt). */
const SHELL_HOOKS = new Set(['PROMPT_COMMAND', 'BASH_ENV', 'ENV']);

/**
 * Judges a variable assignment, export or unset: some variables change what the shell records
 * or loads, and some hold a command line that a later program runs (judged as shell text).
 */
export function checkAssignment(
  session: Session,
  name: string,
  value: string | undefined,
  how: string,
  scope: Scope = { depth: 0, via: [] },
): void {
  const detail = value === undefined || how === 'unset' ? `${how} ${name}` : `${how} ${name}=${value}`;
  const assigned = how === 'unset' ? undefined : value;
  if (
    name === 'HISTFILE' ||
    ((name === 'HISTSIZE' || name === 'HISTFILESIZE' || name === 'SAVEHIST') &&
      (how === 'unset' || value === '0'))
  ) {
    emit(session, 'shell.evasion.history', detail);
  } else if (PRELOAD.test(name) && (value ?? '') !== '') {
    emit(session, 'shell.env.preload', detail);
  } else if (assigned !== undefined && own(CODE_LOADING_OPTIONS, name)?.test(assigned)) {
    // For one command (`NODE_OPTIONS='-r ./otel.js' node app`) it is `node -r ./otel.js app`: a
    // script not shown here. Exported, it hooks every later interpreter of the session.
    emit(session, ONE_COMMAND.has(how) ? 'shell.script.run' : 'shell.env.preload', detail);
  } else if (SHELL_HOOKS.has(name)) {
    emit(session, 'shell.env.hook', detail);
    // PROMPT_COMMAND is shell text; BASH_ENV and ENV name a file that is sourced.
    if (assigned !== undefined && name === 'PROMPT_COMMAND')
      reparseHook(session, scope, assigned, `$${name}`);
  } else if (assigned !== undefined) {
    checkHookVariable(session, scope, name, assigned);
  }
}
