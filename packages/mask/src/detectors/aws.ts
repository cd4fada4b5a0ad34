import { candidate, type Detector } from '../detector.ts';
import { isHexLike } from '../entropy.ts';

const ACCESS_KEY = /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/** `aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY=…`, `"SecretAccessKey": "…"`, `secret_key: …`. */
const LABELLED_SECRET =
  /secret[_ -]?(?:access[_ -]?)?key["']?[ \t]{0,4}(?:=>|:=|[:=])[ \t]{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

/** A bare 40-character base64 token, considered only after an access key id was seen. */
const BARE_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/**
 * Secret keys are 40 base64 characters: alone that shape also fits git SHAs and many ids, so it
 * counts only after a label or after an access key id in the same text (or stream). Pure hex is
 * never an AWS secret key.
 */
function secretShaped(s: string): boolean {
  return !isHexLike(s) && /[A-Z]/.test(s) && /[a-z]/.test(s);
}

export const awsDetector: Detector = {
  types: ['AWS_ACCESS_KEY', 'AWS_SECRET_KEY'],
  scan(text, out, env) {
    let firstKeyEnd = -1;
    for (const m of text.matchAll(ACCESS_KEY)) {
      const end = m.index + m[0].length;
      if (firstKeyEnd < 0) firstKeyEnd = end;
      out.push(candidate(m.index, end, 'AWS_ACCESS_KEY'));
    }
    for (const m of text.matchAll(LABELLED_SECRET)) {
      const value = m[1]!;
      if (!secretShaped(value)) continue;
      const end = m.index + m[0].length;
      out.push(candidate(end - value.length, end, 'AWS_SECRET_KEY', m.index));
    }
    const from = env.state.awsAccessKeySeen ? 0 : firstKeyEnd;
    if (from < 0) return;
    BARE_SECRET.lastIndex = from;
    for (let m = BARE_SECRET.exec(text); m !== null; m = BARE_SECRET.exec(text)) {
      if (secretShaped(m[0])) out.push(candidate(m.index, m.index + m[0].length, 'AWS_SECRET_KEY'));
    }
  },
};
