import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack signs with a timestamp; a request older (or newer) than this is a replay, or a broken clock. */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Slack's request signing (v0): `v0=` + hex HMAC-SHA256, keyed with the app's signing secret,
 * of `v0:{X-Slack-Request-Timestamp}:{raw body}`, compared in constant time; the timestamp
 * must be within five minutes of this server's clock. Anything else is refused.
 */
export function verifySlackSignature(
  signingSecret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureCheck {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'unsigned' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_TIMESTAMP_WINDOW_SECONDS) {
    return { ok: false, reason: 'timestamp outside the five-minute window (replay?)' };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed signature' };
  const expected = slackSignature(signingSecret, timestamp, rawBody);
  // Both are 67 ASCII characters here: equal lengths, so the comparison itself is constant-time.
  if (!timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(signature, 'ascii'))) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}

export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}
