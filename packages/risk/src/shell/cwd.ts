import type { Session } from './context.ts';
import { normalizePath } from './paths.ts';

/** The working directory after `cd "$X"`: relative paths from then on are unknown. */
export const UNKNOWN_DIRECTORY = '$UNKNOWN_CWD';

/**
 * A path as the program will see it, after the `cd`s earlier in the line: `*` after `cd /` is
 * `/*`. Absolute and home paths are unchanged; without a `cd` relative paths stay relative
 * (they are the project's). `dynamic` reports that the directory is not known.
 */
export function resolveAgainstCwd(session: Session, path: string): { path: string; dynamic: boolean } {
  const cwd = session.cwd;
  if (cwd === undefined || path.startsWith('/') || path.startsWith('~') || path.startsWith('$'))
    return { path, dynamic: false };
  if (cwd === UNKNOWN_DIRECTORY) return { path: `${UNKNOWN_DIRECTORY}/${path}`, dynamic: true };
  const joined = normalizePath(`${cwd}/${path}`);
  // `normalizePath` drops a trailing `/*` segment's meaning only when it folds `.`; keep the glob.
  return { path: joined, dynamic: false };
}
