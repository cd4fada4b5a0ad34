import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../src/webhooks/delivery.ts';
import { newSigningSecret, sign, webhookHeaders } from '../src/webhooks/signing.ts';
import { blockedReason, guardedLookup, urlProblem } from '../src/webhooks/ssrf.ts';

/** The pure parts of the webhooks: the SSRF address rules, Standard Webhooks signing, the backoff. */
describe('SSRF address rules', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.251', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 link-local'],
    ['2002:7f00:1::1', '6to4 loopback'],
    ['2001:db8::1', 'documentation'],
    ['not-an-address', 'not an IP address'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(blockedReason(address)).toContain(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '2a00:1450:4001::200e',
  ])('lets %s through', (address) => {
    expect(blockedReason(address)).toBeUndefined();
  });

  it('refuses webhook URLs that are local on their face, unless private networks are allowed', () => {
    for (const url of [
      'http://127.0.0.1/x',
      'http://127.1/x',
      'http://2130706433/x',
      'http://0x7f.0.0.1/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://localhost:8080/x',
      'http://api.localhost/x',
      'http://10.0.0.1/x',
    ]) {
      expect(urlProblem(url, false), url).toBeDefined();
      expect(urlProblem(url, true), url).toBeUndefined();
    }
    expect(urlProblem('https://hooks.example.com/gatehouse', false)).toBeUndefined();
    expect(urlProblem('https://u:p@hooks.example.com/', true)).toContain('credentials');
    expect(urlProblem('file:///etc/passwd', true)).toContain('http');
    expect(urlProblem('gopher://hooks.example.com/', true)).toContain('http');
  });

  it('checks every address a name resolves to inside the connection’s own lookup', async () => {
    const resolve = (allow: boolean, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((done) =>
        guardedLookup(allow)('localhost', { all }, (error, address) => done({ error, address })),
      );
    const refused = await resolve(false, false);
    expect(refused.error?.message).toMatch(/localhost resolves to .* \(loopback address\); refused/);
    expect((await resolve(false, true)).error).not.toBeNull();
    const allowed = await resolve(true, false);
    expect(allowed.error).toBeNull();
    expect(blockedReason(String(allowed.address))).toBe('loopback');
    const list = await resolve(true, true);
    expect(Array.isArray(list.address)).toBe(true);
  });
});

describe('Standard Webhooks signatures', () => {
  it('signs what the standardwebhooks library verifies, and verifies what it signs', () => {
    const secret = newSigningSecret();
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const body = JSON.stringify({
      type: 'request.pending',
      timestamp: new Date().toISOString(),
      data: { id: 'req_1' },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([secret], 'msg_1', timestamp, body);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ data: { id: 'req_1' } });
    // The library's own signature of the same content is byte for byte ours.
    expect(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body)).toBe(
      sign(secret, 'msg_1', timestamp, body),
    );
  });

  it('carries one signature per secret during an overlap; either secret verifies', () => {
    const [old, current] = [newSigningSecret(), newSigningSecret()];
    const body = '{"type":"webhook.test"}';
    const headers = webhookHeaders([current, old], 'msg_2', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(old).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });

  it('is refused by receivers when the timestamp is old (replay protection is theirs to apply)', () => {
    const secret = newSigningSecret();
    const body = '{}';
    const stale = webhookHeaders([secret], 'msg_3', Math.floor(Date.now() / 1000) - 600, body);
    expect(() => new Webhook(secret).verify(body, stale)).toThrow();
  });
});

describe('retry backoff', () => {
  it('grows by four each time, with jitter in the upper half, and stops growing at 6 hours', () => {
    const low = () => 0;
    const high = () => 1;
    expect(retryDelayMs(1, 5_000, low)).toBe(2_500);
    expect(retryDelayMs(1, 5_000, high)).toBe(5_000);
    expect(retryDelayMs(2, 5_000, low)).toBe(10_000);
    expect(retryDelayMs(3, 5_000, low)).toBe(40_000);
    expect(retryDelayMs(20, 5_000, high)).toBe(6 * 3600 * 1000);
    const draws = new Set(Array.from({ length: 50 }, () => retryDelayMs(2, 5_000)));
    expect(draws.size).toBeGreaterThan(1);
    for (const d of draws) expect(d >= 10_000 && d <= 20_000).toBe(true);
  });
});
