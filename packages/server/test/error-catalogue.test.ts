import { ERRORS, isErrorCode } from '@gatehouse/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

/**
 * One code, one status, on the wire: every refusal the server sends carries a code of the
 * catalogue with the catalogue's status, whichever layer (fastify, schema, service) refused.
 */
describe('error answers follow the catalogue', () => {
  let gh: TestGatehouse;
  let session: string;
  let approver: { id: string; token: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    const agent = await gh.createAgent({ name: 'catalogue-bot', type: 'ci' });
    session = await gh.session(agent.key);
    approver = await gh.createUser('catalogue@example.com', ['approver']);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
  });

  const raw = async (path: string, init: RequestInit) => {
    const response = await fetch(new URL(path, gh.url), init);
    return { status: response.status, body: (await response.json()) as any };
  };

  it.each([
    ['no token', () => gh.api('/v1/requests', { body: { kind: 'shell', command: 'ls' } }), 'MISSING_TOKEN'],
    [
      'bad token',
      () => gh.api('/v1/requests?status=pending', { token: 'not-a-real-token' }),
      'INVALID_TOKEN',
    ],
    [
      'schema',
      () => gh.api('/v1/requests', { token: session, body: { kind: 'bash', command: 'ls' } }),
      'VALIDATION_FAILED',
    ],
    ['unknown route', () => gh.api('/v1/nothing-here'), 'NOT_FOUND'],
    [
      'unknown request',
      () => gh.api('/v1/requests/req_missing', { token: approver.token }),
      'REQUEST_NOT_FOUND',
    ],
    [
      'consume a non-allowed request',
      async () => {
        const denied = await gh.api('/v1/requests', {
          token: session,
          body: { kind: 'shell', command: 'cat /etc/shadow' },
        });
        return gh.api(`/v1/requests/${denied.body.id}/consume`, { token: session, body: {} });
      },
      'REQUEST_NOT_ALLOWED',
    ],
    [
      'a result for a non-allowed request',
      async () => {
        const denied = await gh.api('/v1/requests', {
          token: session,
          body: { kind: 'shell', command: 'cat /etc/shadow' },
        });
        return gh.api(`/v1/requests/${denied.body.id}/result`, { token: session, body: { durationMs: 1 } });
      },
      'RESULT_NOT_ALLOWED',
    ],
    [
      'malformed JSON',
      () =>
        raw('/v1/requests', {
          method: 'POST',
          headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
          body: '{"kind":',
        }),
      'MALFORMED_JSON',
    ],
    [
      'wrong media type',
      () =>
        raw('/v1/requests', {
          method: 'POST',
          headers: { authorization: `Bearer ${session}`, 'content-type': 'application/xml' },
          body: '<ls/>',
        }),
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ] as const)('%s', async (_name, call, code) => {
    const answer = await call();
    expect(answer.body.error.code).toBe(code);
    expect(isErrorCode(answer.body.error.code)).toBe(true);
    expect(answer.status).toBe(ERRORS[code].status);
  });
});
