import { VerdictError } from '@gatehouse/verdict';
import { describe, expect, it } from 'vitest';
import { allowDecision, errorDecision, refusedDecision } from '../src/decision.ts';
import { GatehouseError, toGatehouseError } from '../src/errors.ts';
import { endpoint, statusError } from '../src/http.ts';
import {
  isAllowStatus,
  isFinalStatus,
  parseConsumed,
  parseFinalVerdict,
  parseSession,
  parseStreamMessage,
  parseSubmitted,
} from '../src/protocol.ts';
import { OutputRecorder } from '../src/recorder.ts';
import { isTransient } from '../src/wait.ts';

const JWS = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln';

describe('status mapping', () => {
  it('allows only auto_approved and approved', () => {
    const all = [
      'auto_approved',
      'denied',
      'pending',
      'approved',
      'rejected',
      'expired',
      'cancelled',
    ] as const;
    expect(all.filter(isAllowStatus)).toEqual(['auto_approved', 'approved']);
    expect(all.filter(isFinalStatus)).toEqual(all.filter((s) => s !== 'pending'));
    expect(isFinalStatus('allowed')).toBe(false);
    expect(isFinalStatus(undefined)).toBe(false);
  });
});

describe('protocol parsing', () => {
  it('accepts a submitted request and keeps tier, score and reasons', () => {
    const parsed = parseSubmitted({
      id: 'req_1',
      status: 'auto_approved',
      tier: 'auto',
      score: 4,
      reasons: [{ rule: 'read_only', category: 'read', weight: 0, detail: 'ls' }],
      verdict: JWS,
    });
    expect(parsed).toMatchObject({
      id: 'req_1',
      status: 'auto_approved',
      tier: 'auto',
      score: 4,
      verdict: JWS,
    });
    expect(parsed.reasons[0]?.rule).toBe('read_only');
  });

  it('refuses unknown statuses, missing ids and non-JWS verdicts', () => {
    expect(() => parseSubmitted({ id: 'r', status: 'allowed' })).toThrow(GatehouseError);
    expect(() => parseSubmitted({ status: 'denied' })).toThrow(/no id/);
    expect(() => parseSubmitted({ id: 'r', status: 'approved', verdict: 'not a jws' })).toThrow(
      /compact JWS/,
    );
    expect(() => parseSubmitted({ id: 'r', status: 'approved', verdict: 42 })).toThrow(/compact JWS/);
    expect(() => parseSubmitted({ id: 'r', status: 'approved', reasons: 'x' })).toThrow(/reasons/);
    expect(() => parseSubmitted([])).toThrow(/not an object/);
    expect(() => parseSubmitted(null)).toThrow(GatehouseError);
  });

  it('requires a final status from the verdict endpoint', () => {
    expect(parseFinalVerdict({ status: 'approved', verdict: JWS })).toEqual({
      status: 'approved',
      verdict: JWS,
    });
    expect(() => parseFinalVerdict({ status: 'pending' })).toThrow(/non-final/);
  });

  it('reads sessions and refuses expired or undated tokens', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseSession({ token: 't', expiresAt: '2026-01-01T01:00:00Z' }, now)).toEqual({
      token: 't',
      expiresAt: now + 3_600_000,
    });
    expect(() => parseSession({ token: 't', expiresAt: '2025-12-31T00:00:00Z' }, now)).toThrow(/expired/);
    expect(() => parseSession({ token: 't' }, now)).toThrow(/expiresAt/);
    expect(() => parseSession({ token: '', expiresAt: '2026-01-01T01:00:00Z' }, now)).toThrow(/token/);
  });

  it('takes only well-formed verdict.ready stream messages', () => {
    const ready = JSON.stringify({
      type: 'verdict.ready',
      data: { id: 'r1', status: 'approved', verdict: JWS },
    });
    expect(parseStreamMessage(ready)).toEqual({ id: 'r1', status: 'approved', verdict: JWS });
    expect(
      parseStreamMessage(JSON.stringify({ type: 'request.updated', data: { id: 'r1' } })),
    ).toBeUndefined();
    expect(
      parseStreamMessage(JSON.stringify({ type: 'verdict.ready', data: { id: 'r1', status: 'pending' } })),
    ).toBeUndefined();
    expect(parseStreamMessage('{not json')).toBeUndefined();
    expect(parseStreamMessage('null')).toBeUndefined();
  });

  it('needs an explicit consumed: true', () => {
    expect(() => parseConsumed({ consumed: true })).not.toThrow();
    expect(() => parseConsumed({ consumed: 'true' })).toThrow(GatehouseError);
    expect(() => parseConsumed({})).toThrow(GatehouseError);
    expect(() => parseConsumed(undefined)).toThrow(GatehouseError);
  });
});

describe('HTTP errors', () => {
  const url = new URL('http://gh/v1/requests');
  it('maps statuses to codes and keeps the server code', () => {
    const e = statusError(401, { error: { code: 'SESSION_EXPIRED', message: 'expired' } }, url);
    expect(e).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401, serverCode: 'SESSION_EXPIRED' });
    expect(statusError(503, undefined, url).code).toBe('ERR_SERVER');
    expect(statusError(403, {}, url).code).toBe('ERR_FORBIDDEN');
    expect(statusError(409, {}, url).code).toBe('ERR_REQUEST');
    expect(statusError(302, {}, url).code).toBe('ERR_PROTOCOL');
  });

  it('retries only transient failures', () => {
    expect(isTransient(new GatehouseError('ERR_NETWORK', 'x'))).toBe(true);
    expect(isTransient(new GatehouseError('ERR_SERVER', 'x', { status: 502 }))).toBe(true);
    expect(isTransient(new GatehouseError('ERR_REQUEST', 'x', { status: 429 }))).toBe(true);
    expect(isTransient(new GatehouseError('ERR_FORBIDDEN', 'x', { status: 403 }))).toBe(false);
    expect(isTransient(new GatehouseError('ERR_REQUEST', 'x', { status: 404 }))).toBe(false);
    expect(isTransient(new GatehouseError('ERR_PROTOCOL', 'x'))).toBe(false);
    expect(isTransient(new Error('boom'))).toBe(false);
  });
});

describe('endpoints', () => {
  it('keeps a path prefix and switches to ws for the stream', () => {
    expect(endpoint(new URL('https://gh.example/base/'), '/v1/requests/r/verdict?wait=5').href).toBe(
      'https://gh.example/base/v1/requests/r/verdict?wait=5',
    );
    expect(endpoint(new URL('https://gh.example'), '/v1/stream', 'ws').href).toBe(
      'wss://gh.example/v1/stream',
    );
    expect(endpoint(new URL('http://127.0.0.1:8080'), '/v1/stream', 'ws').href).toBe(
      'ws://127.0.0.1:8080/v1/stream',
    );
  });
});

describe('decisions', () => {
  const known = { requestId: 'req_1', tier: 'auto' as const, score: 3, reasons: [{ rule: 'r' }] };

  it('turns anything thrown into a refusal with a code', () => {
    for (const thrown of [
      new Error('x'),
      'string',
      undefined,
      null,
      42,
      new VerdictError('ERR_VERDICT_SIGNATURE', 'bad'),
      new GatehouseError('ERR_TIMEOUT', 'slow'),
      {
        get message() {
          throw new Error('hostile');
        },
      },
    ]) {
      const decision = errorDecision(known, thrown);
      expect(decision.allowed).toBe(false);
      expect(decision.status).toBe('error');
      expect(decision.error?.code).toMatch(/^ERR_/);
      expect(decision.requestId).toBe('req_1');
    }
    expect(errorDecision(known, new VerdictError('ERR_VERDICT_SIGNATURE', 'bad')).error?.code).toBe(
      'ERR_VERDICT_SIGNATURE',
    );
  });

  it('survives a hostile known-state', () => {
    const hostile = {
      get reasons(): never {
        throw new Error('hostile');
      },
    };
    const decision = errorDecision(hostile as never, new Error('x'));
    expect(decision).toMatchObject({ allowed: false, status: 'error', error: { code: 'ERR_INTERNAL' } });
  });

  it('is frozen, so an allow cannot be forged by mutating a refusal', () => {
    const refused = refusedDecision(known, 'denied');
    expect(Object.isFrozen(refused)).toBe(true);
    expect(() => {
      (refused as { allowed: boolean }).allowed = true;
    }).toThrow(TypeError);
    expect(toGatehouseError(new Error('x')).code).toBe('ERR_INTERNAL');
    const allowed = allowDecision(known, 'approved', JWS, { jti: 'req_1' } as never);
    expect(allowed).toMatchObject({ allowed: true, status: 'approved' });
    expect(Object.isFrozen(allowed.claims)).toBe(true);
  });
});

describe('output recorder', () => {
  it('keeps a character split across two reads whole, per stream', () => {
    const recorder = new OutputRecorder(performance.now());
    const euro = Buffer.from('€ ok', 'utf8');
    recorder.write('stdout', euro.subarray(0, 2));
    recorder.write('stderr', Buffer.from('err'));
    recorder.write('stdout', euro.subarray(2));
    const { chunks, truncated } = recorder.output();
    expect(chunks.map((c) => [c.stream, c.data])).toEqual([
      ['stderr', 'err'],
      ['stdout', '€ ok'],
    ]);
    expect(truncated).toBe(false);
    expect(chunks.every((c) => Number.isInteger(c.t) && c.t >= 0)).toBe(true);
  });

  it('stops at the cap across both streams and says so', () => {
    const recorder = new OutputRecorder(performance.now(), 10);
    recorder.write('stdout', Buffer.from('123456'));
    recorder.write('stderr', Buffer.from('789abc'));
    recorder.write('stdout', Buffer.from('more'));
    const { chunks, truncated } = recorder.output();
    expect(chunks.map((c) => c.data).join('')).toBe('123456789a');
    expect(truncated).toBe(true);
  });
});
