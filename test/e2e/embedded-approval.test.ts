import { type AuthorizationDecision, GatehouseClient, type PendingRequest } from '@gatehouse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedGatehouse, startEmbedded } from '../support/embedded.ts';

/** Long enough for every wait below, short enough for the expiry case to finish in a test. */
const DEADLINE_SECONDS = 25;
/** The server refreshes its keys every 5 s: a decision after a longer wait crosses a refresh. */
const HUMAN_DELAY_MS = 6_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The embedded default (`npm start`: PGlite, in-process jobs) with an agent waiting while
 * people decide, every way it can end: what a new user does first. Every HTTP call is
 * bounded; a call that does not answer fails the test instead of hanging it.
 */
describe('embedded mode: an agent waits while people decide', () => {
  let gh: EmbeddedGatehouse;
  let agent: { id: string; key: string };
  const approvers: { id: string; token: string }[] = [];
  const clients: GatehouseClient[] = [];

  beforeAll(async () => {
    gh = await startEmbedded({ policy: `approvalDeadlineSeconds: ${DEADLINE_SECONDS}` });
    for (const name of ['alice', 'bob', 'carol']) {
      approvers.push(await gh.createUser(`${name}@example.com`, ['approver']));
    }
    agent = await gh.createAgent({ name: 'deploy-bot', type: 'ci', environments: ['prod'] });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await gh?.stop();
  });

  const client = (options: { stream: boolean; key?: string }) => {
    const sdk = new GatehouseClient({
      url: gh.url,
      agentKey: options.key ?? agent.key,
      timeoutMs: 60_000,
      stream: options.stream,
    });
    clients.push(sdk);
    return sdk;
  };

  /** Submits through the SDK and resolves once the request is pending, with its id. */
  const waitingFor = (sdk: GatehouseClient, kind: 'shell' | 'sql', command: string) => {
    let announce: (pending: PendingRequest) => void = () => {};
    const pending = new Promise<PendingRequest>((resolve) => {
      announce = resolve;
    });
    const decision = sdk.authorize({ kind, command, onPending: (p) => announce(p) });
    return { pending, decision };
  };

  const decide = (requestId: string, who: number, decision: 'approve' | 'reject', comment?: string) =>
    gh.api(`/v1/requests/${requestId}/decisions`, {
      token: approvers[who]!.token,
      body: { decision, ...(comment ? { comment } : {}) },
    });

  it.each([
    ['long-poll', false],
    ['stream', true],
  ])(
    'an approval reaches an agent that waits by %s',
    async (_name, stream) => {
      const { pending, decision } = waitingFor(
        client({ stream }),
        'shell',
        `git commit -m "release ${_name}"`,
      );
      const { requestId, tier } = await pending;
      expect(tier).toBe('review');
      await sleep(HUMAN_DELAY_MS);
      const decided = await decide(requestId, 0, 'approve');
      expect(decided).toMatchObject({ status: 200, body: { status: 'approved' } });
      expect(decided.ms).toBeLessThan(2_000);
      const final: AuthorizationDecision = await decision;
      expect(final).toMatchObject({ allowed: true, status: 'approved', requestId });
      expect(final.claims?.approvers).toEqual([approvers[0]!.id]);
    },
    60_000,
  );

  it('long-polls that end with 202 leave the server answering', async () => {
    const sdk = client({ stream: false });
    const { pending, decision } = waitingFor(sdk, 'shell', 'git commit -m "after 202s"');
    const { requestId } = await pending;
    const session = await gh.api('/v1/sessions', { token: agent.key, body: {} });
    for (let i = 0; i < 3; i++) {
      const poll = await gh.api(`/v1/requests/${requestId}/verdict?wait=2`, { token: session.body.token });
      expect(poll.status).toBe(202);
      const ready = await gh.api('/readyz', { timeoutMs: 1_000 });
      expect(ready.status).toBe(200);
    }
    expect((await decide(requestId, 1, 'approve')).body.status).toBe('approved');
    expect(await decision).toMatchObject({ allowed: true, status: 'approved' });
  }, 60_000);

  it('a rejection reaches the waiting agent as a refusal', async () => {
    const { pending, decision } = waitingFor(client({ stream: true }), 'shell', 'git commit -m "rejected"');
    const { requestId } = await pending;
    await sleep(HUMAN_DELAY_MS);
    expect((await decide(requestId, 1, 'reject', 'not during the freeze')).body.status).toBe('rejected');
    expect(await decision).toMatchObject({ allowed: false, status: 'rejected' });
  }, 60_000);

  it('a multi-party request waits for two distinct people', async () => {
    const { pending, decision } = waitingFor(client({ stream: false }), 'sql', 'DROP TABLE orders_archive');
    const { requestId, tier, requiredApprovals } = await pending;
    expect({ tier, requiredApprovals }).toEqual({ tier: 'multi_party', requiredApprovals: 2 });
    const first = await decide(requestId, 0, 'approve', 'archive copied to cold storage');
    expect(first.body).toMatchObject({ status: 'pending', approvals: 1, required: 2 });
    expect((await decide(requestId, 0, 'approve', 'again')).status).toBe(409);
    await sleep(HUMAN_DELAY_MS);
    const second = await decide(requestId, 2, 'approve', 'confirmed');
    expect(second.body).toMatchObject({ status: 'approved', approvals: 2 });
    const final = await decision;
    expect(final).toMatchObject({ allowed: true, status: 'approved' });
    expect([...(final.claims?.approvers ?? [])].sort()).toEqual([approvers[0]!.id, approvers[2]!.id].sort());
  }, 60_000);

  it('revoking the agent while it waits cancels the request and refuses the agent', async () => {
    const doomed = await gh.createAgent({ name: 'doomed-bot', type: 'ci', environments: ['prod'] });
    const { pending, decision } = waitingFor(
      client({ stream: true, key: doomed.key }),
      'shell',
      'git commit -m x',
    );
    const { requestId } = await pending;
    await sleep(HUMAN_DELAY_MS);
    const revoked = await gh.api(`/v1/agents/${doomed.id}/revoke`, { token: gh.adminToken, body: {} });
    expect(revoked.status).toBe(200);
    const final = await decision;
    expect(final.allowed).toBe(false);
    const row = await gh.api(`/v1/requests/${requestId}`, { token: approvers[0]!.token });
    expect(row.body.status).toBe('cancelled');
  }, 60_000);

  it('many agents and approvers at once: every call answers', async () => {
    const agents = await Promise.all(
      [1, 2, 3, 4].map((i) => gh.createAgent({ name: `swarm-${i}`, type: 'ci', environments: ['prod'] })),
    );
    const waits = agents.flatMap((a, i) =>
      [0, 1].map((j) =>
        waitingFor(
          client({ stream: (i + j) % 2 === 0, key: a.key }),
          'shell',
          `git commit -m "swarm ${i}.${j}"`,
        ),
      ),
    );
    const ids = (await Promise.all(waits.map((w) => w.pending))).map((p) => p.requestId);
    // Approvers work the queue concurrently, with a reader and a readiness probe beside them.
    const outcomes = await Promise.all(
      ids.map((id, i) =>
        decide(id, i % approvers.length, i % 3 === 0 ? 'reject' : 'approve', 'batch review'),
      ),
    );
    const [queue, ready] = await Promise.all([
      gh.api('/v1/requests?status=pending', { token: approvers[0]!.token }),
      gh.api('/readyz', { timeoutMs: 1_000 }),
    ]);
    expect(queue.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 200));
    const finals = await Promise.all(waits.map((w) => w.decision));
    expect(finals.map((f) => f.status)).toEqual(ids.map((_, i) => (i % 3 === 0 ? 'rejected' : 'approved')));
  }, 90_000);

  it('an undecided request expires at its deadline with a deny', async () => {
    const { pending, decision } = waitingFor(
      client({ stream: false }),
      'shell',
      'git commit -m "nobody looks"',
    );
    const { deadline } = await pending;
    expect(deadline!.getTime() - Date.now()).toBeLessThanOrEqual(DEADLINE_SECONDS * 1000);
    const final = await decision;
    expect(final).toMatchObject({ allowed: false, status: 'expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(deadline!.getTime() - 1_000);
  }, 60_000);

  it('stops within a few seconds on SIGTERM while agents wait and approvers watch', async () => {
    const sdk = client({ stream: true });
    const { pending, decision } = waitingFor(sdk, 'shell', 'git commit -m "interrupted"');
    await pending;
    const started = Date.now();
    await gh.server.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(gh.server.child.exitCode ?? gh.server.child.signalCode).not.toBeNull();
    // The agent never gets an allow out of a server that went away.
    sdk.close();
    expect((await decision).allowed).toBe(false);
  }, 60_000);
});
