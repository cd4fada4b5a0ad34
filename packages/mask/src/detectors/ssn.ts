import { candidate, type Detector } from '../detector.ts';

/** `AAA-GG-SSSS` bounded by non-digits and non-dashes, so `2024-01-15-1234` style ids stay out. */
const DASHED = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g;

/** Nine digits (optionally spaced 3-2-4) only right after an `ssn` / `social security` label. */
const LABELLED =
  /\b(?:ssn|social[ _-]?security(?:[ _-]?(?:number|no|num))?)\b[^\n\w]{0,10}(\d{3} ?\d{2} ?\d{4})(?!\d)/gi;

/** Ranges the SSA never issues: area 000, 666, 900-999; group 00; serial 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

export const ssnDetector: Detector = {
  types: ['SSN'],
  scan(text, out) {
    for (const m of text.matchAll(DASHED))
      if (ssnValid(m[1]!, m[2]!, m[3]!)) out.push(candidate(m.index, m.index + m[0].length, 'SSN'));
    for (const m of text.matchAll(LABELLED)) {
      const raw = m[1]!;
      const digits = raw.replace(/ /g, '');
      if (raw.includes(' ') && !/^\d{3} \d{2} \d{4}$/.test(raw)) continue;
      if (!ssnValid(digits.slice(0, 3), digits.slice(3, 5), digits.slice(5))) continue;
      const start = m.index + m[0].length - raw.length;
      out.push(candidate(start, start + raw.length, 'SSN', m.index));
    }
  },
};
