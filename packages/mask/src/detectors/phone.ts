import { candidate, type Detector } from '../detector.ts';

/**
 * International numbers: `+`, a country code and 8-14 more digits (E.164 allows 15 in all),
 * optionally grouped by spaces, dots, dashes or a parenthesised area code.
 */
const INTERNATIONAL = /(?<![\w+])\+[1-9](?:[ .-]?\(?\d\)?){7,14}(?!\d)/g;

/**
 * North American numbers in their usual printed forms only: `(555) 123-4567`, `555-123-4567`,
 * `555.123.4567`, with an optional `1-` prefix. Bare ten-digit runs and space-separated groups are
 * left alone: they are indistinguishable from ids and columns of figures. The lookarounds reject
 * dates (`2024-01-15`), versions and dotted quads because those never have the 3-3-4 shape
 * bounded by non-digits.
 */
const NORTH_AMERICAN =
  /(?<![\w.+-])(?:1-)?(?:\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}|\d{3}\.\d{3}\.\d{4})(?![\w-]|\.\d)/g;

export const phoneDetector: Detector = {
  types: ['PHONE'],
  scan(text, out) {
    INTERNATIONAL.lastIndex = 0;
    for (let m = INTERNATIONAL.exec(text); m !== null; m = INTERNATIONAL.exec(text)) {
      let end = m.index + m[0].length;
      // An unbalanced trailing `(` or separator is not part of the number.
      while (end > m.index && !/[\d)]/.test(text[end - 1]!)) end--;
      const digits = m[0].replace(/\D/g, '').length;
      if (digits >= 9 && digits <= 15) out.push(candidate(m.index, end, 'PHONE'));
      else INTERNATIONAL.lastIndex = m.index + 1;
    }
    for (const m of text.matchAll(NORTH_AMERICAN))
      out.push(candidate(m.index, m.index + m[0].length, 'PHONE'));
  },
};
