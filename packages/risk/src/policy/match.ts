import type { ParsedCommand } from '../types.ts';
import type { CompiledMatch } from './types.ts';

/** Whether one parsed command satisfies every constraint of a pure-data pattern. */
export function matchesCommand(match: CompiledMatch, command: ParsedCommand): boolean {
  if (match.kind && match.kind !== command.kind) return false;
  if (match.program && !match.program.includes(command.name)) return false;
  if (match.via) {
    const via = match.via;
    if (!command.via.some((wrapper) => wrapper === via || wrapper.startsWith(`${via} `))) return false;
  }
  if (match.viaOnly) {
    const allowed = match.viaOnly;
    for (const wrapper of command.via) if (!startsWithWord(wrapper, allowed)) return false;
  }
  if (match.first && !match.first.includes(positionals(command.args)[0] ?? '')) return false;
  if (match.subcommand && !hasSubsequence(positionals(command.args), match.subcommand)) return false;
  const args = match.args;
  if (args) {
    if (args.includes && !args.includes.every((a) => command.args.includes(a))) return false;
    if (args.includesAny && !args.includesAny.some((a) => command.args.includes(a))) return false;
    if (args.excludes?.some((a) => command.args.includes(a))) return false;
  }
  if (match.argRegex) {
    const re = match.argRegex;
    if (!command.args.some((a) => re.test(a))) return false;
  }
  return true;
}

/** Whether `wrapper` is one of `words` or starts with one of them followed by a space (`ssh db1`). */
function startsWithWord(wrapper: string, words: readonly string[]): boolean {
  return words.some((w) => wrapper === w || wrapper.startsWith(`${w} `));
}

function positionals(args: string[]): string[] {
  return args.filter((a) => !a.startsWith('-'));
}

function hasSubsequence(list: string[], wanted: string[]): boolean {
  let i = 0;
  for (const item of list) {
    if (item === wanted[i]) i++;
    if (i === wanted.length) return true;
  }
  return wanted.length === 0;
}
