import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';
const SECRET_COMMAND = 'cat /etc/hostname-s3cr3t-marker';

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  let gh: TestGatehouse;
  let approver: { id: string; token: string };
  let admin: { id: string; token: string };
  let session: string;

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN } });
    approver = await gh.createUser('oncall@example.com', ['approver']);
    admin = await gh.createUser('root@example.com', ['admin']);
    session = await gh.session(
      (await gh.createAgent({ name: 'bot', type: 'ci', environments: ['staging'] })).key,
    );
  });
  afterAll(async () => gh?.stop());

  const scrape = async (token?: string) => {
    const response = await fetch(new URL('/metrics', gh.url), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  };

  it('answers only the metrics token or an admin token; everyone else gets 401', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-the-metrics-token-at-all')).status).toBe(401);
    expect((await scrape(approver.token)).status).toBe(401);
    expect((await scrape(session)).status).toBe(401);
    const ok = await scrape(METRICS_TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
    expect((await scrape(gh.adminToken)).status).toBe(200);
    expect((await scrape(admin.token)).status).toBe(200);
  });

  it('counts requests by tier, status, kind, environment and agent type; never their text', async () => {
    const before = await scrape(METRICS_TOKEN);
    const labels = {
      tier: 'auto',
      status: 'auto_approved',
      kind: 'shell',
      environment: 'staging',
      agent_type: 'ci',
    };
    const autoBefore = sample(before.text, 'gatehouse_requests_total', labels) ?? 0;
    const submit = (command: string) =>
      gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    expect((await submit(SECRET_COMMAND)).body.status).toBe('auto_approved');
    const pending = await submit('systemctl restart nginx');
    expect(pending.body.status).toBe('pending');

    // Counted after the commit, asynchronously the first time an agent is seen.
    await expect
      .poll(async () => sample((await scrape(METRICS_TOKEN)).text, 'gatehouse_requests_total', labels))
      .toBe(autoBefore + 1);
    let text = (await scrape(METRICS_TOKEN)).text;
    expect(sample(text, 'gatehouse_pending_requests')).toBe(1);
    expect(sample(text, 'gatehouse_requests_total', { status: 'pending', agent_type: 'ci' })).toBe(1);

    const decided = await gh.api(`/v1/requests/${pending.body.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    await expect
      .poll(async () =>
        sample((await scrape(METRICS_TOKEN)).text, 'gatehouse_decision_latency_seconds_count', {
          status: 'approved',
        }),
      )
      .toBe(1);
    text = (await scrape(METRICS_TOKEN)).text;
    expect(sample(text, 'gatehouse_pending_requests')).toBe(0);
    expect(sample(text, 'gatehouse_requests_total', { status: 'approved', tier: 'review' })).toBe(1);
    expect(text).toContain('# TYPE gatehouse_decision_latency_seconds histogram');
    expect(text).not.toContain('hostname');
    expect(text).not.toContain('systemctl');
    expect(text).not.toContain(gh.adminToken);
    expect(text).not.toContain(session);
    // No agent or person ids in labels either.
    expect(text).not.toMatch(/agt_|usr_|req_/);
  });

  it('exposes drift alarms, WebSocket connections, the job queue and process metrics', async () => {
    const ws = new WebSocket(new URL('/v1/stream', gh.url.replace('http', 'ws')), {
      headers: { authorization: `Bearer ${approver.token}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const text = (await scrape(METRICS_TOKEN)).text;
    expect(sample(text, 'gatehouse_websocket_connections')).toBe(1);
    expect(sample(text, 'gatehouse_drift_alarms_open')).toBe(0);
    expect(text).toMatch(/gatehouse_job_queue_depth\{state="delayed"\} \d+/);
    expect(text).toContain('gatehouse_process_cpu_user_seconds_total');
    expect(text).toContain('gatehouse_nodejs_heap_size_used_bytes');
    ws.close();
  });
});
