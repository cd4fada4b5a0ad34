import { describeGrant, type GrantScope } from '@gatehouse/contract';
import {
  buildVerdictClaims,
  type CommandSubject,
  generateVerdictKeyPair,
  signingKeyFromJwk,
  signVerdict,
  type VerdictKeyPair,
  verifyVerdict,
} from '@gatehouse/verdict';
import { createLocalJWKSet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../src/errors.ts';
import { type GrantDeps, type GrantRequestInput, requestGrantWith } from '../src/grants.ts';
import type { FinalVerdict } from '../src/protocol.ts';

/**
 * The SDK's grant flow over a scripted server: `granted: true` only with a verdict signed by a
 * trusted key, saying allow, for exactly the grant asked for. Everything else is a refusal.
 */
describe('requestGrant', () => {
  let key: VerdictKeyPair;
  let stranger: VerdictKeyPair;
  const scope: GrantScope = { type: 'command', kind: 'shell', match: { program: ['kubectl'] } };
  const input: GrantRequestInput = { scope, ceiling: 'review', durationMinutes: 30, reason: 'stuck pods' };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };

  beforeAll(async () => {
    key = await generateVerdictKeyPair();
    stranger = await generateVerdictKeyPair();
  });

  const subjectOf = (command: string): CommandSubject => ({
    kind: 'grant',
    command,
    dialect: null,
    target: null,
  });
  const verdict = (opts: { command?: string; decision?: 'allow' | 'deny'; pair?: VerdictKeyPair } = {}) =>
    signVerdict(
      buildVerdictClaims({
        issuer: 'gatehouse',
        agentId: 'agt_1',
        sessionId: 'ses_1',
        requestId: 'req_g',
        decision: opts.decision ?? 'allow',
        tier: 'review',
        score: 0,
        subject: subjectOf(opts.command ?? describeGrant(scope, 'review', 30)),
        approvers: ['usr_a'],
        policyVersion: 'p',
      }),
      signingKeyFromJwk((opts.pair ?? key).privateJwk),
    );

  function deps(
    final: FinalVerdict | Error,
    submitted: unknown = {
      grant: { id: 'grt_1' },
      request: { id: 'req_g', status: 'pending' },
    },
  ): GrantDeps {
    const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
    return {
      submit: async () => {
        if (submitted instanceof Error) throw submitted;
        return submitted;
      },
      waitFor: async () => {
        if (final instanceof Error) throw final;
        return final;
      },
      verify: (jws, subject, requestId) => verifyVerdict(jws, jwks, { subject, requestId }),
      acquireStream: () => undefined,
      closing: new AbortController().signal,
      timeoutMs: 5_000,
      log: silent,
    };
  }

  it('grants with a verified allow verdict for this grant, ending no later than its duration', async () => {
    const before = Date.now();
    const decision = await requestGrantWith(deps({ status: 'approved', verdict: await verdict() }), input);
    expect(decision).toMatchObject({
      granted: true,
      grantId: 'grt_1',
      requestId: 'req_g',
      status: 'approved',
    });
    if (!decision.granted) throw new Error('unreachable');
    expect(decision.endsAt.getTime()).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    expect(decision.endsAt.getTime()).toBeGreaterThan(before - 1_000 + 30 * 60_000 - 1_000);
  });

  it('refuses a verdict for another grant (a wider ceiling, another pattern)', async () => {
    for (const command of [
      describeGrant(scope, 'multi_party', 30),
      describeGrant({ ...scope, match: { program: ['helm'] } }, 'review', 30),
      describeGrant(scope, 'review', 300),
    ]) {
      const decision = await requestGrantWith(
        deps({ status: 'approved', verdict: await verdict({ command }) }),
        input,
      );
      expect(decision).toMatchObject({ granted: false, error: { code: 'ERR_VERDICT_COMMAND_MISMATCH' } });
    }
  });

  it('refuses a verdict from an unknown key, a deny behind an approved status, and a missing verdict', async () => {
    const forged = await requestGrantWith(
      deps({ status: 'approved', verdict: await verdict({ pair: stranger }) }),
      input,
    );
    expect(forged.granted).toBe(false);
    const deny = await requestGrantWith(
      deps({ status: 'approved', verdict: await verdict({ decision: 'deny' }) }),
      input,
    );
    expect(deny).toMatchObject({ granted: false, error: { code: 'ERR_VERDICT_STATUS_MISMATCH' } });
    const bare = await requestGrantWith(deps({ status: 'approved' }), input);
    expect(bare).toMatchObject({ granted: false, error: { code: 'ERR_PROTOCOL' } });
  });

  it('answers not granted for a rejected or expired grant, a refused ask, a broken answer and a timeout', async () => {
    for (const status of ['rejected', 'expired', 'cancelled'] as const) {
      const decision = await requestGrantWith(
        deps({ status, verdict: await verdict({ decision: 'deny' }) }),
        input,
      );
      expect(decision).toMatchObject({ granted: false, status, error: { code: 'ERR_NOT_ALLOWED' } });
    }
    const refused = await requestGrantWith(
      deps(
        { status: 'approved' },
        new GatehouseError('ERR_REQUEST', 'too long', { status: 400, serverCode: 'GRANT_TOO_LONG' }),
      ),
      input,
    );
    expect(refused).toMatchObject({ granted: false, error: { code: 'ERR_REQUEST' } });
    const broken = await requestGrantWith(deps({ status: 'approved' }, { grant: {} }), input);
    expect(broken).toMatchObject({ granted: false, error: { code: 'ERR_PROTOCOL' } });
    const slow = deps({ status: 'approved' });
    slow.waitFor = (_id, _deadline, signal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const timedOut = await requestGrantWith(slow, { ...input, timeoutMs: 50 });
    expect(timedOut).toMatchObject({ granted: false, error: { code: 'ERR_TIMEOUT' } });
  });
});
