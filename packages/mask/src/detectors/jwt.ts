import { candidate, type Detector } from '../detector.ts';

const SEGMENT_START = /eyJ[A-Za-z0-9_-]*/g;
const SEGMENT = /[A-Za-z0-9_-]*/y;

/** The header must decode to a JSON object with an `alg`: `eyJ` alone is just the base64 of `{"`. */
function headerIsJwt(segment: string): boolean {
  try {
    const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))) as unknown;
    return typeof json === 'object' && json !== null && typeof (json as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * `header.payload.signature`, each base64url, header and payload starting with `eyJ`. Scanned in
 * steps rather than with one regex: after a failed candidate the search resumes at the end of the
 * run it already read, so `eyJeyJeyJ…` stays linear. An empty signature (`alg: none`) still
 * carries claims and is masked.
 */
export const jwtDetector: Detector = {
  types: ['JWT'],
  scan(text, out) {
    SEGMENT_START.lastIndex = 0;
    for (let m = SEGMENT_START.exec(text); m !== null; m = SEGMENT_START.exec(text)) {
      const start = m.index;
      const headerEnd = start + m[0].length;
      if (text.charCodeAt(headerEnd) !== 46 || !text.startsWith('eyJ', headerEnd + 1)) continue;
      SEGMENT.lastIndex = headerEnd + 1;
      SEGMENT.exec(text);
      const payloadEnd = SEGMENT.lastIndex;
      if (text.charCodeAt(payloadEnd) !== 46) {
        SEGMENT_START.lastIndex = payloadEnd;
        continue;
      }
      SEGMENT.lastIndex = payloadEnd + 1;
      SEGMENT.exec(text);
      const end = SEGMENT.lastIndex;
      SEGMENT_START.lastIndex = end;
      if (headerIsJwt(m[0])) out.push(candidate(start, end, 'JWT'));
    }
  },
};
