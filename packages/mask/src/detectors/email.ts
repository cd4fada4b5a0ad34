import { candidate, type Detector } from '../detector.ts';

/**
 * File extensions that would otherwise read as a top-level domain: `icon@2x.png` and
 * `module@3.js` are file names, not addresses.
 */
const NOT_TLDS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'ico',
  'bmp',
  'pdf',
  'js',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'jsx',
  'css',
  'scss',
  'less',
  'map',
  'json',
  'yaml',
  'yml',
  'toml',
  'lock',
  'txt',
  'log',
  'html',
  'htm',
  'xml',
  'wasm',
  'py',
  'sh',
  'md',
  'go',
  'java',
  'rb',
  'php',
  'tar',
  'gz',
  'zip',
  'exe',
]);

function isLocalChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 46 /* . */ ||
    c === 95 /* _ */ ||
    c === 37 /* % */ ||
    c === 43 /* + */ ||
    c === 45 /* - */
  );
}

function isDomainChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/**
 * Scans from each `@` outwards instead of using a regex: a leading `[...]+@` pattern re-reads the
 * whole run before every failed `@`, which is quadratic on input like `a@a@a@…`. Here each `@`
 * costs at most 64 characters to the left and 255 to the right.
 *
 * Not e-mails, by decision: a domain without a dot (`user@localhost`, `pkg@1.2.3`, `@scope/pkg`),
 * URL user info (`https://user@host`, `redis://:pw@host` — the password detector owns that), and git
 * SSH remotes (`git@github.com:org/repo.git`, recognised by `host:path` right after the domain).
 * `ssh deploy@db.example.com` is masked: it is indistinguishable from an address.
 */
export const emailDetector: Detector = {
  types: ['EMAIL'],
  scan(text, out) {
    let at = text.indexOf('@');
    while (at !== -1) {
      let next = at + 1;
      let s = at;
      while (s > 0 && at - s <= 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
      if (at - s <= 64 && !(s > 0 && isLocalChar(text.charCodeAt(s - 1)))) {
        while (s < at && text.charCodeAt(s) === 46) s++;
        let e = at + 1;
        while (e < text.length && e - at <= 255 && isDomainChar(text.charCodeAt(e))) e++;
        // A domain ends on a letter or digit: drop a trailing sentence dot or dash.
        while (e > at + 1 && !isLetterOrDigit(text.charCodeAt(e - 1))) e--;
        next = Math.max(next, e);
        if (s < at && validDomain(text, at + 1, e) && !inUrlAuthority(text, s) && !isScpRemote(text, e))
          out.push(candidate(s, e, 'EMAIL'));
      }
      at = text.indexOf('@', next);
    }
  },
};

function isLetterOrDigit(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57);
}

function validDomain(text: string, start: number, end: number): boolean {
  if (end - start < 4) return false;
  const domain = text.slice(start, end);
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label === '' || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
  }
  const tld = labels[labels.length - 1]!;
  if (tld.length < 2 || tld.length > 24) return false;
  for (let i = 0; i < tld.length; i++) if (!isLetter(tld.charCodeAt(i))) return false;
  return !NOT_TLDS.has(tld.toLowerCase());
}

/** `scheme://user@host` or `scheme://user:pw@host`: a `://` earlier in the same token with no `/` after it. */
function inUrlAuthority(text: string, localStart: number): boolean {
  const floor = Math.max(0, localStart - 512);
  for (let i = localStart - 1; i >= floor; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 34 || c === 39 || c === 60 || c === 62)
      return false;
    if (c === 47 /* / */) return i >= 2 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58;
  }
  return false;
}

/** `git@github.com:org/repo.git`: the host is followed by `:` and a path rather than a port or a space. */
function isScpRemote(text: string, domainEnd: number): boolean {
  if (text.charCodeAt(domainEnd) !== 58) return false;
  const c = text.charCodeAt(domainEnd + 1);
  return isLetter(c) || c === 126 /* ~ */ || c === 47 /* / */ || c === 95 || c === 46;
}
