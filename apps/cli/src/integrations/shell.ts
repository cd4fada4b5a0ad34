const SAFE_WORD = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

/** Quotes one word for POSIX sh so that the shell sees it as exactly this argument. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** argv → one shell command line that runs that argv (readable: plain words stay unquoted). */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
