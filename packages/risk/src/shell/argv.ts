/** Small helpers for reading argv the way typical GNU/BSD tools do. */

/** True when a short flag letter is present (also inside bundles like `-rf`) or a long flag is. */
export function hasFlag(argv: readonly string[], short: string, long: readonly string[] = []): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg.startsWith('--')) {
      const name = arg.split('=')[0] as string;
      if (long.includes(name)) return true;
    } else if (arg.startsWith('-') && arg.length > 1 && short) {
      for (const letter of short)
        if (arg.slice(1).includes(letter) && /^-[A-Za-z0-9]+$/.test(arg)) return true;
    }
  }
  return false;
}

/** Any argument equal to one of `names` or of the form `name=…`. */
export function hasOption(argv: readonly string[], ...names: string[]): boolean {
  return argv.some((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)));
}

/** The value of `--name value`, `--name=value` or `-n value` / `-nvalue` (short form), if present. */
export function optionValue(argv: readonly string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    for (const name of names) {
      if (arg === name) return argv[i + 1];
      // `--name=value`, and terraform's single-dash long options (`-chdir=dir`, `-var-file=f`).
      if (name.length > 2 && arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      if (!name.startsWith('--') && name.length === 2 && arg.startsWith(name) && arg.length > 2)
        return arg.slice(2);
      // A cluster of short flags ending in the option (`curl -fsSLo file`) takes the next word.
      if (
        !name.startsWith('--') &&
        name.length === 2 &&
        /^-[a-zA-Z]+$/.test(arg) &&
        arg.endsWith(name[1] as string) &&
        arg.length > 2
      )
        return argv[i + 1];
    }
  }
  return undefined;
}

/** Every value of a repeatable option. */
export function optionValues(argv: readonly string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    for (const name of names) {
      if (arg === name && i + 1 < argv.length) out.push(argv[i + 1] as string);
      else if (name.startsWith('--') && arg.startsWith(`${name}=`)) out.push(arg.slice(name.length + 1));
      else if (!name.startsWith('--') && name.length === 2 && arg.startsWith(name) && arg.length > 2)
        out.push(arg.slice(2));
    }
  }
  return out;
}

/**
 * Arguments that are not options. `valued` lists options that consume the next argument, so
 * that `kubectl -n prod delete pod x` yields `delete pod x` rather than `prod delete pod x`.
 */
export function positionals(argv: readonly string[], valued: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      if (valued.includes(arg)) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Index of the first argument that is not an option, honouring options that take a value. */
export function firstPositionalIndex(
  argv: readonly string[],
  valued: readonly string[] = [],
  start = 0,
): number {
  for (let i = start; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (arg.startsWith('-') && arg.length > 1) {
      if (valued.includes(arg)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

export function basename(path: string): string {
  const trimmed = path.endsWith('/') ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? trimmed : trimmed.slice(slash + 1);
}
