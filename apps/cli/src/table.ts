import Table from 'cli-table3';

/** No borders, two spaces between columns: a table that reads in a terminal and greps in a log. */
const PLAIN = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Cells longer than this are cut with an ellipsis, so one long command does not push the rest off screen. */
const MAX_CELL = 80;

/** `head` and `rows` as aligned columns, each line indented by `indent`, without colour codes. */
export function table(head: string[], rows: string[][], indent = '  '): string {
  const clip = (cell: string) => (cell.length > MAX_CELL ? `${cell.slice(0, MAX_CELL - 1)}…` : cell);
  const out = new Table({
    head: head.map(clip),
    chars: PLAIN,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  out.push(...rows.map((row) => row.map(clip)));
  return out
    .toString()
    .split('\n')
    .map((line) => `${indent}${line}`.trimEnd())
    .join('\n');
}
