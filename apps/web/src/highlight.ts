import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import sql from 'highlight.js/lib/languages/sql';

// Only the two languages Gatehouse scores: the bundle stays small and nothing is guessed.
hljs.registerLanguage('bash', bash);
hljs.registerLanguage('sql', sql);

/** Highlighted HTML for a command; highlight.js escapes the source text itself. */
export function highlightCommand(kind: 'shell' | 'sql', command: string): string {
  return hljs.highlight(command, { language: kind === 'sql' ? 'sql' : 'bash', ignoreIllegals: true }).value;
}
