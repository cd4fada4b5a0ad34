import { ERRORS } from './errors.ts';

/** docs/errors.md, written from the catalogue so the two can never disagree. */
export function errorCatalogueMarkdown(): string {
  const rows = Object.entries(ERRORS)
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(([code, { status, summary }]) => `| ${status} | \`${code}\` | ${summary} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/contract/src/errors.ts by `npm run docs:errors`; do not edit. -->',
    '',
    'Every error answer is `{"error": {"code", "message"}}`. The code is stable and always travels',
    'with the same HTTP status; branch on the code, show the message. The message says what happened',
    'in this case; the summary below says what the code means.',
    '',
    '| status | code | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
