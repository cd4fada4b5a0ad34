import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';
import { startReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { refreshRollups } from '../src/insights/rollup.ts';
import { checkDrift } from '../src/insights/service.ts';

// The drift alarm's thresholds live in the policy file (`insights.drift`); a threshold the
// policy leaves out comes from its GATEHOUSE_DRIFT_* variable.

describe('drift thresholds from the policy file', () => {
  let gh: TestGatehouse;
  let auditor: { id: string; token: string };
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'gh-insights-policy-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      [
        "version: 'insights-1'",
        'extends: default',
        'insights:',
        '  drift:',
        '    windowDays: 3',
        '    ceilingPercent: 50',
        '    minRequests: 4',
        '',
      ].join('\n'),
    );
    gh = await startGatehouse({
      redis: false,
      env: {
        GATEHOUSE_POLICY_FILE: policyFile,
        GATEHOUSE_DRIFT_RISE_POINTS: '7',
        GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600',
        GATEHOUSE_DRIFT_CHECK_SECONDS: '86400',
      },
    });
    auditor = await gh.createUser('security@example.com', ['auditor']);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await receiver?.close();
  });

  it('answers the thresholds in force and which of them the policy set', async () => {
    const r = await gh.api('/v1/insights/drift', { token: auditor.token });
    expect(r.status).toBe(200);
    expect(r.body.thresholds).toEqual({
      windowDays: 3,
      baselineDays: 28,
      ceiling: 0.5,
      risePoints: 7,
      minRequests: 4,
      fromPolicy: ['windowDays', 'ceiling', 'minRequests'],
    });
  });

  it('judges with them: 4 auto-approved of 4 is over a 50% ceiling, audited with the policy’s figures', async () => {
    const agent = await gh.createAgent({ name: 'lister', type: 'ci' });
    const session = await gh.session(agent.key);
    for (let i = 0; i < 4; i++) {
      const r = await gh.api('/v1/requests', {
        token: session,
        body: { kind: 'shell', command: `ls /tmp/${i}` },
      });
      expect(r.body.status).toBe('auto_approved');
    }
    const hook = await gh.api('/v1/webhooks', {
      token: gh.adminToken,
      body: { url: `${receiver.url}/drift`, events: ['drift.alarm'], allowPrivateNetwork: true },
    });
    expect(hook.status).toBe(201);
    const rt = gh.running.runtime;
    await refreshRollups(rt.database.db);
    const result = await checkDrift(rt);
    expect(result.raised).toHaveLength(1);
    // Receivers subscribed to drift.alarm hear of it, with the figures and no command text.
    const delivered = await receiver.waitFor((r) => r.path === '/drift', 15_000);
    expect(delivered.json).toMatchObject({
      type: 'drift.alarm',
      data: { key: 'ci/none', trigger: 'ceiling', rate: 1 },
    });
    expect(delivered.body).not.toContain('/tmp/');
    const drift = await gh.api('/v1/insights/drift', { token: auditor.token });
    expect(drift.body.alarms[0]).toMatchObject({
      key: 'ci/none',
      trigger: 'ceiling',
      windowDays: 3,
      rate: 1,
    });
    const [event] = await query<{ data: any }>(
      gh.database.url,
      `select data from audit_events where type = 'insights.drift.raised'`,
    );
    expect(event!.data).toMatchObject({ key: 'ci/none', ceiling: 0.5, risePoints: 7, windowDays: 3 });
  });
});
