import type { Invocation } from '../context.ts';
import { UNKNOWN_DIRECTORY } from '../cwd.ts';
import { normalizePath } from '../paths.ts';
import type { Handler } from './types.ts';

/**
 * `cd`/`pushd` change what every later relative path of the line means: `cd / && rm -rf ./*`
 * deletes the root's children, not the project's. The new directory is tracked in the session;
 * one that cannot be known statically makes later relative paths unknown, not project paths.
 */
const cd: Handler = (inv: Invocation) => {
  const s = inv.session;
  const operands = inv.args.filter((w) => !/^-[LPe@]+$/.test(w.value));
  const target = operands[0];
  if (!target || target.value === '~' || target.value === '') {
    s.cwd = '~';
    return;
  }
  if (target.unresolved || target.value === '-' || target.glob) {
    s.cwd = UNKNOWN_DIRECTORY;
    return;
  }
  const value = target.value;
  if (value.startsWith('/') || value.startsWith('~')) s.cwd = normalizePath(value);
  else if (s.cwd === UNKNOWN_DIRECTORY) s.cwd = UNKNOWN_DIRECTORY;
  else if (s.cwd !== undefined) s.cwd = normalizePath(`${s.cwd}/${value}`);
  // Relative to the project: still inside it unless it climbs out.
  else if (normalizePath(value).startsWith('..')) s.cwd = UNKNOWN_DIRECTORY;
};

export const NAVIGATION_HANDLERS: Record<string, Handler> = { cd, pushd: cd, chdir: cd };
