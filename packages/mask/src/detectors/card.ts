import { candidate, type Detector } from '../detector.ts';
import { knownCardPrefix, luhnValid } from '../luhn.ts';

/**
 * 13-19 digits, contiguous or in the printed groupings (4-4-4-4[-1..3], Amex 4-6-5, Diners 4-6-4)
 * with one consistent separator. The lookarounds keep a card from being carved out of a longer
 * digit run such as a 20-digit id or a decimal.
 */
const CARD =
  /(?<![\d.,])\d{4}(?:\d{9,15}|([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|([ -])\d{6}\2\d{4,5})(?!\d|[.,-]\d)/g;

export const cardDetector: Detector = {
  types: ['CARD'],
  scan(text, out) {
    CARD.lastIndex = 0;
    for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
      const length = cardLength(m[0], m[1] ?? m[2]);
      if (length > 0) out.push(candidate(m.index, m.index + length, 'CARD'));
      // Resume right after what was used: a rejected or shortened match (`6789 4111 1111 1111` of an
      // SSN and a card) must not swallow the card after it.
      CARD.lastIndex = m.index + Math.max(length, 1);
    }
  },
};

/** Length of the card at the start of `raw`, or 0. A 4-4-4-4 card followed by a short group is tried without it too. */
function cardLength(raw: string, separator: string | undefined): number {
  const tries = separator && raw.length > 19 ? [raw, raw.slice(0, 19)] : [raw];
  for (const t of tries) {
    const digits = separator ? t.replaceAll(separator, '') : t;
    if (knownCardPrefix(digits) && luhnValid(digits)) return t.length;
  }
  return 0;
}
