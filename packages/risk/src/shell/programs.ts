import { KNOWLEDGE } from './knowledge/index.ts';
import { READ_ONLY } from './knowledge/read-only.ts';
import { globRegExp } from './paths.ts';
import { WRAPPER_NAMES } from './wrappers.ts';

/**
 * A glob as a program name (`/???/r?`, `/usr/bin/w*et`) runs whichever program the file system
 * has that matches. The engine has no file system; it resolves the glob against the programs it
 * knows and judges every match, so the worst one sets the tier.
 */

/** Past this many matches the glob names no program in particular (`*`), only uncertainty. */
export const MAX_GLOB_CANDIDATES = 64;

let known: string[] | undefined;

function knownPrograms(): string[] {
  known ??= [...new Set([...KNOWLEDGE.keys(), ...READ_ONLY, ...WRAPPER_NAMES])].filter((n) =>
    /^[\w.+-]+$/.test(n),
  );
  return known;
}

/** The known programs the last path segment of `pattern` matches (empty when none or too many). */
export function globCandidates(pattern: string): string[] {
  const name = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (!/[*?[]/.test(name)) return [];
  let re: RegExp;
  try {
    re = globRegExp(name);
  } catch {
    return [];
  }
  const matches = knownPrograms().filter((program) => re.test(program));
  return matches.length <= MAX_GLOB_CANDIDATES ? matches : [];
}
