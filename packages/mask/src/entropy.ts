const counts = new Uint32Array(128);

/** Shannon entropy in bits per character. Characters outside ASCII share one bucket, which only lowers the figure. */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    counts[c < 128 ? c : 0]!++;
  }
  let h = 0;
  for (let i = 0; i < 128; i++) {
    const k = counts[i]!;
    if (k === 0) continue;
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Upper case, lower case and digit all present: nearly every random base62/base64 token of 20+ characters has all three. */
export function hasMixedClasses(s: string): boolean {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c >= 48 && c <= 57) digit = true;
  }
  return upper && lower && digit;
}

/**
 * Share of characters that sit in word-like runs (`Word`, `word`, `WORD` of 4+ letters).
 * Identifiers such as `HttpClientModule2Configuration` score above 0.8; random tokens of 20+
 * characters stay below 0.7 in 99% of cases.
 */
export function wordFraction(s: string): number {
  let inWords = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    const isUpper = c >= 65 && c <= 90;
    const isLower = c >= 97 && c <= 122;
    if (!isUpper && !isLower) {
      i++;
      continue;
    }
    let j = i + 1;
    if (isUpper) {
      // An upper-case run, or one capital followed by lower case.
      let k = j;
      while (k < n && s.charCodeAt(k) >= 65 && s.charCodeAt(k) <= 90) k++;
      if (k - i >= 4) {
        inWords += k - i;
        i = k;
        continue;
      }
      if (k === j) {
        while (j < n && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
        if (j - i >= 4) inWords += j - i;
        i = j;
        continue;
      }
      i = k;
      continue;
    }
    while (j < n && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
    if (j - i >= 4) inWords += j - i;
    i = j;
  }
  return n === 0 ? 0 : inWords / n;
}

/** Only hex digits and dashes: git SHAs, sha256 digests, UUIDs. */
export function isHexLike(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 45;
    if (!ok) return false;
  }
  return true;
}
