import { candidate, type Detector, isPlaceholder } from '../detector.ts';

/**
 * `scheme://user:password@host`: only the password is masked, so the connection target stays
 * readable (`postgres://app:[MASKED:URL_PASSWORD]@db:5432/x`). The password runs to the last `@`
 * before the path, because unencoded `@` in passwords is common.
 */
const USERINFO = /:\/\/([^\s/?#@:'"<>[\]]{0,256}):([^\s/?#'"<>]{1,256})@/g;

export const urlPasswordDetector: Detector = {
  types: ['URL_PASSWORD'],
  scan(text, out) {
    for (const m of text.matchAll(USERINFO)) {
      const password = m[2]!;
      if (isPlaceholder(password)) continue;
      const end = m.index + m[0].length - 1;
      out.push(candidate(end - password.length, end, 'URL_PASSWORD', m.index, end + 1));
    }
  },
};
