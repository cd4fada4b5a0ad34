import { candidate, type Detector } from '../detector.ts';

const BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;

/**
 * PEM, OpenSSH and PGP private key blocks from BEGIN through END, as one value whatever the line
 * breaks (real or `\n`-escaped inside JSON). A block without an END — truncated output — is
 * masked to the end of the text: failing closed beats printing half a key.
 */
export const privateKeyDetector: Detector = {
  types: ['PRIVATE_KEY'],
  scan(text, out) {
    BEGIN.lastIndex = 0;
    for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
      END.lastIndex = m.index + m[0].length;
      const e = END.exec(text);
      const end = e ? e.index + e[0].length : text.length;
      out.push(candidate(m.index, end, 'PRIVATE_KEY'));
      BEGIN.lastIndex = end;
    }
  },
};
