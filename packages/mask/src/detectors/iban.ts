import { candidate, type Detector } from '../detector.ts';
import { ibanChecksumValid, ibanLength } from '../iban.ts';

/** Country code, check digits, then up to 30 alphanumerics, optionally printed in groups of four. */
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g;

export const ibanDetector: Detector = {
  types: ['IBAN'],
  scan(text, out) {
    IBAN.lastIndex = 0;
    for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
      const found = ibanAt(text, m.index, m[0]);
      if (found > 0) out.push(candidate(m.index, m.index + found, 'IBAN'));
      // Resume right after what was used: the match may have run into the next IBAN.
      IBAN.lastIndex = m.index + Math.max(found, 1);
    }
  },
};

/** Length of the IBAN that starts the match, or 0. The match may run on into a following upper-case word. */
function ibanAt(text: string, index: number, raw: string): number {
  const length = ibanLength(raw.slice(0, 2));
  if (length === undefined) return 0;
  // Printed IBANs group by four: when the first group is followed by a space, every group must be.
  const spaced = raw[4] === ' ';
  let end = 0;
  let seen = 0;
  while (end < raw.length && seen < length) {
    const space = raw[end] === ' ';
    if (space && (!spaced || seen % 4 !== 0)) return 0;
    if (!space) {
      if (spaced && seen > 0 && seen % 4 === 0 && raw[end - 1] !== ' ') return 0;
      seen++;
    }
    end++;
  }
  if (seen < length) return 0;
  if (!spaced && raw.length > end && raw[end] !== ' ') return 0;
  if (isAlnum(text.charCodeAt(index + end))) return 0;
  return ibanChecksumValid(raw.slice(0, end).replace(/ /g, '')) ? end : 0;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
