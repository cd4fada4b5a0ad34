import type { Session } from '../context.ts';
import { emit } from '../context.ts';

/** Judges a variable assignment, export or unset: some variables change what the shell records or loads. */
export function checkAssignment(
  session: Session,
  name: string,
  value: string | undefined,
  how: string,
): void {
  const detail = value === undefined || how === 'unset' ? `${how} ${name}` : `${how} ${name}=${value}`;
  if (
    name === 'HISTFILE' ||
    ((name === 'HISTSIZE' || name === 'HISTFILESIZE' || name === 'SAVEHIST') &&
      (how === 'unset' || value === '0'))
  ) {
    emit(session, 'shell.evasion.history', detail);
  } else if (/^(LD_PRELOAD|LD_AUDIT|DYLD_INSERT_LIBRARIES)$/.test(name) && (value ?? '') !== '') {
    emit(session, 'shell.env.preload', detail);
  } else if (name === 'PROMPT_COMMAND' || name === 'BASH_ENV' || name === 'ENV') {
    emit(session, 'shell.env.hook', detail);
  }
}
