import type { ResolvedConfig } from '../config.ts';
import { candidate, type Detector, isPlaceholder } from '../detector.ts';
import { hasMixedClasses, isHexLike, shannonEntropy, wordFraction } from '../entropy.ts';
import type { Candidate } from '../types.ts';

/**
 * A key whose name says its value is secret, then `=`, `:`, `:=` or `=>`. The key may have a
 * prefix (`db_password`, `GITHUB_TOKEN`, `"clientSecret"`) and a `_`/`-`/`.` suffix
 * (`token_value`), but not a longer word (`tokenizer`, `author`).
 */
const LABELLED =
  /(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth(?:orization)?|credentials?)s?(?:[_.-][A-Za-z0-9_.-]{0,30})?["']?[ \t]{0,4}(?:=>|:=|[:=])[ \t]{0,4}/gi;

/** `--password hunter2` style flags (the `=` form is already covered above). */
const FLAG = /--(?:[A-Za-z0-9]+-){0,4}(?:password|passwd|token|secret|api-key|apikey)[ \t]+/gi;

/** HTTP auth schemes in front of the credential itself. */
const AUTH_SCHEME = /(?:bearer|basic|token|digest|bot)[ \t]+/iy;

/** Words that fill a secret-named field without being a secret. */
const NOT_SECRETS = new Set([
  'true',
  'false',
  'null',
  'none',
  'undefined',
  'redacted',
  'required',
  'optional',
  'hidden',
]);

const LABELLED_MIN_LENGTH = 8;
const LABELLED_MIN_BITS = 2;
const MAX_VALUE = 1024;

function isValueEnd(c: number): boolean {
  // whitespace , ; & " ' ` ) ] } >
  return (
    c <= 32 ||
    c === 44 ||
    c === 59 ||
    c === 38 ||
    c === 34 ||
    c === 39 ||
    c === 96 ||
    c === 41 ||
    c === 93 ||
    c === 125 ||
    c === 62
  );
}

/** Reads the value after a label; quoted values run to the closing quote on the same line. */
function readValue(text: string, i: number): [number, number] | undefined {
  const q = text.charCodeAt(i);
  if (q === 34 || q === 39) {
    const close = text.indexOf(text[i]!, i + 1);
    if (close < 0 || close - i > MAX_VALUE) return undefined;
    const nl = text.indexOf('\n', i + 1);
    if (nl >= 0 && nl < close) return undefined;
    return [i + 1, close];
  }
  let e = i;
  while (e < text.length && e - i < MAX_VALUE && !isValueEnd(text.charCodeAt(e))) e++;
  return e > i ? [i, e] : undefined;
}

function labelledValueIsSecret(value: string): boolean {
  if (value.length < LABELLED_MIN_LENGTH) return false;
  if (isPlaceholder(value) || value.includes('[MASKED:')) return false;
  if (NOT_SECRETS.has(value.toLowerCase())) return false;
  // Endpoints and file locations (`token_url: https://…`, `password_file=/run/secrets/db`) name where a secret is, not the secret.
  if (value.includes('://') || value[0] === '/' || value.startsWith('./') || value.startsWith('~/'))
    return false;
  if (/^\d+$/.test(value)) return false;
  return shannonEntropy(value) >= LABELLED_MIN_BITS;
}

function scanLabelled(text: string, out: Candidate[], re: RegExp, allowScheme: boolean): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let i = re.lastIndex;
    if (allowScheme && /^auth/i.test(m[0])) {
      AUTH_SCHEME.lastIndex = i;
      if (AUTH_SCHEME.test(text)) i = AUTH_SCHEME.lastIndex;
    }
    const span = readValue(text, i);
    if (!span) continue;
    const [s, e] = span;
    if (labelledValueIsSecret(text.slice(s, e))) out.push(candidate(s, e, 'SECRET', m.index, e));
    re.lastIndex = Math.max(re.lastIndex, e);
  }
}

/** Integrity strings (`sha512-…`) are hashes of public packages. */
const HASH_PREFIX = /^(?:sha1|sha256|sha384|sha512|md5)[-_]/i;

function bareTokenIsSecret(token: string, config: ResolvedConfig): boolean {
  if (token.length < config.minLength) return false;
  if (isHexLike(token) || HASH_PREFIX.test(token)) return false;
  if (!hasMixedClasses(token)) return false;
  if (wordFraction(token) >= 0.8) return false;
  return shannonEntropy(token) >= config.minBitsPerChar;
}

/** Characters of a bare token: base64, base64url and the usual token punctuation. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-')
  TOKEN_CHAR[c.charCodeAt(0)] = 1;

function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHAR[c] === 1;
}

/**
 * Unlabelled tokens: long, mixed upper/lower/digit, not made of words, and above the entropy
 * threshold. What this deliberately leaves alone: hex of any length (git SHAs, sha256 digests,
 * UUIDs — a hex secret is caught only when labelled), `sha512-…` integrity strings, identifiers
 * like `HttpClientModule2Configuration`, and paths (split at `/`, each part judged on its own).
 * The cost is that a random token lacking one character class, about 3% of 20-character ones,
 * is only caught when labelled.
 */
function scanBare(text: string, out: Candidate[], config: ResolvedConfig): void {
  // Runs of token characters at least `minLength` long, found by probing the last character a run
  // starting at `i` would need: a miss skips `minLength` characters at once, so ordinary words cost
  // little. Invariant: the character before `i` is not a token character.
  const n = text.length;
  const min = config.minLength;
  let i = 0;
  while (i + min <= n) {
    const probe = i + min - 1;
    if (!isTokenChar(text.charCodeAt(probe))) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    while (start > i && isTokenChar(text.charCodeAt(start - 1))) start--;
    i = probe + 1;
    while (i < n && isTokenChar(text.charCodeAt(i))) i++;
    if (i - start < min) {
      i++;
      continue;
    }
    let end = i;
    // Base64 padding belongs to the token.
    while (end < n && end - i < 2 && text.charCodeAt(end) === 61) end++;
    const token = text.slice(start, end);
    // Padding may be followed directly by the next run; otherwise `end` is a separator.
    i = end < n && isTokenChar(text.charCodeAt(end)) ? end : end + 1;
    if (!token.includes('/')) {
      if (bareTokenIsSecret(token, config)) out.push(candidate(start, start + token.length, 'SECRET'));
      continue;
    }
    let found = false;
    let offset = 0;
    for (const part of token.split('/')) {
      if (bareTokenIsSecret(part, config)) {
        out.push(candidate(start + offset, start + offset + part.length, 'SECRET'));
        found = true;
      }
      offset += part.length + 1;
    }
    // Base64 with `/` in it: no single part is long enough, the whole is.
    if (!found && token[0] !== '/' && bareTokenIsSecret(token, config))
      out.push(candidate(start, start + token.length, 'SECRET'));
  }
}

export const secretDetector: Detector = {
  types: ['SECRET'],
  scan(text, out, env) {
    scanLabelled(text, out, LABELLED, true);
    scanLabelled(text, out, FLAG, false);
    scanBare(text, out, env.config);
  },
};
