import { candidate, type Detector } from '../detector.ts';
import type { MaskType } from '../types.ts';

/**
 * Vendor tokens with a fixed prefix. Each pattern starts with a literal, so the regex engine
 * skips ahead cheaply, and the body is a single greedy class: a match can only fail early.
 * `group` names the part to mask when the prefix itself is not secret (a Slack webhook host).
 */
const PATTERNS: ReadonlyArray<{ re: RegExp; type: MaskType; group?: number }> = [
  { re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}/g, type: 'GITHUB_TOKEN' },
  { re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}/g, type: 'GITHUB_TOKEN' },
  { re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g, type: 'SLACK_TOKEN' },
  { re: /(?<![A-Za-z0-9])xapp-\d-[A-Za-z0-9-]{10,}/g, type: 'SLACK_TOKEN' },
  {
    re: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{20,})/g,
    type: 'SLACK_TOKEN',
    group: 1,
  },
  // Publishable keys (`pk_live_…`) are meant to be public and are left alone.
  { re: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g, type: 'STRIPE_KEY' },
  { re: /(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/]{20,}/g, type: 'STRIPE_KEY' },
];

export const tokenDetector: Detector = {
  types: ['GITHUB_TOKEN', 'SLACK_TOKEN', 'STRIPE_KEY'],
  scan(text, out, env) {
    for (const { re, type, group } of PATTERNS) {
      if (!env.config.enabled.has(type)) continue;
      for (const m of text.matchAll(re)) {
        const end = m.index + m[0].length;
        const start = group === undefined ? m.index : end - m[group]!.length;
        out.push(candidate(start, end, type, m.index));
      }
    }
  },
};
