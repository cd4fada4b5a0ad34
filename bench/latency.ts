import { GatehouseClient } from '@gatehouse/sdk';
import WebSocket from 'ws';
import { call, startDistributed } from '../test/support/distributed.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/postgres.ts';
import { type BenchResult, percentile } from './types.ts';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 100);
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 20);

/**
 * What a person waits for across replicas: two API processes and a worker on PostgreSQL and
 * Redis. The agent's SDK waits on replica B while the approver posts on replica A; the time is
 * from sending the approving POST to the SDK holding the verified verdict. Revocation: from the
 * revoking POST on A to the first refusal of the revoked session on B.
 */
export async function benchLatency(): Promise<BenchResult[]> {
  const database = await createTestDatabase('gh_bench');
  const deployment = await startDistributed({
    databaseUrl: database.url,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: `gh-bench-${database.name}`,
    apis: 2,
    env: { GATEHOUSE_LOG_LEVEL: 'warn' },
  }).catch(async (error) => {
    await database.drop();
    throw error;
  });
  try {
    const [a, b] = deployment.apis as [string, string];
    const { adminToken } = deployment;
    const { toVerdict: approval, toAnswer } = await approvalLatencies(a, b, adminToken);
    const revocation = await revocationLatencies(a, b, adminToken);
    return [
      {
        name: 'approval on A → verdict in the SDK on B',
        opsPerSec: Number.NaN,
        p50Ms: percentile(approval, 50),
        p99Ms: percentile(approval, 99),
        notes: `${approval.length} approvals, 2 APIs + worker, Redis; goal p50 < 20 ms, p99 < 200 ms`,
      },
      {
        name: 'of which: the approving POST answered on A',
        opsPerSec: Number.NaN,
        p50Ms: percentile(toAnswer, 50),
        p99Ms: percentile(toAnswer, 99),
        notes: 'quorum, verdict signature, audit events committed',
      },
      {
        name: 'revocation on A → refused on B',
        opsPerSec: Number.NaN,
        p50Ms: percentile(revocation, 50),
        p99Ms: percentile(revocation, 99),
        notes: `${revocation.length} revocations; goal < 1 s`,
      },
    ];
  } finally {
    await deployment.stop();
    await database.drop();
  }
}

async function approvalLatencies(
  a: string,
  b: string,
  adminToken: string,
): Promise<{ toVerdict: number[]; toAnswer: number[] }> {
  const approver = (
    await call(a, '/v1/users', {
      token: adminToken,
      body: { email: 'bench@example.com', roles: ['approver'] },
    })
  ).body;
  const agent = (
    await call(a, '/v1/agents', { token: adminToken, body: { name: 'bench-latency', type: 'ci' } })
  ).body;
  // The approver's queue on A: it learns the id of each pending request the moment it exists.
  const stream = new WebSocket(`${a.replace('http', 'ws')}/v1/stream`, {
    headers: { authorization: `Bearer ${approver.token}` },
  });
  const created = new Map<string, (id: string) => void>();
  stream.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    if (message.type === 'request.created') created.get(message.data.command)?.(message.data.id);
  });
  await new Promise((resolve, reject) => stream.once('open', resolve).once('error', reject));
  const client = new GatehouseClient({ url: b, agentKey: agent.key, timeoutMs: 60_000 });
  const latencies: number[] = [];
  const answers: number[] = [];
  try {
    for (let i = 0; i < APPROVALS + 5; i++) {
      const command = `rm build/latency-${i}.log`;
      const id = new Promise<string>((resolve) => created.set(command, resolve));
      let settled = 0;
      const decision = client.authorize({ kind: 'shell', command }).then((result) => {
        settled = performance.now();
        return result;
      });
      const requestId = await id;
      // Let the SDK reach its wait (stream subscription) before deciding, as a person would.
      await new Promise((r) => setTimeout(r, 20));
      const sent = performance.now();
      await call(a, `/v1/requests/${requestId}/decisions`, {
        token: approver.token,
        body: { decision: 'approve' },
      });
      const answered = performance.now();
      const result = await decision;
      if (!result.allowed) throw new Error(`request ${requestId} was not allowed: ${result.status}`);
      // The first few warm up connections and JIT.
      if (i >= 5) {
        latencies.push(settled - sent);
        answers.push(answered - sent);
      }
    }
  } finally {
    client.close();
    stream.close();
  }
  const sorted = (values: number[]) => values.sort((x, y) => x - y);
  return { toVerdict: sorted(latencies), toAnswer: sorted(answers) };
}

async function revocationLatencies(a: string, b: string, adminToken: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < REVOCATIONS; i++) {
    const agent = (
      await call(a, '/v1/agents', { token: adminToken, body: { name: `bench-revoke-${i}`, type: 'ci' } })
    ).body;
    const session = (await call(b, '/v1/sessions', { token: agent.key, body: {} })).body;
    const submit = () =>
      call(b, '/v1/requests', { token: session.token, body: { kind: 'shell', command: 'ls' } });
    if ((await submit()).status !== 201) throw new Error('the session did not work before its revocation');
    const sent = performance.now();
    await call(a, `/v1/sessions/${session.sessionId}/revoke`, { token: adminToken, body: {} });
    for (;;) {
      if ((await submit()).status === 401) break;
      if (performance.now() - sent > 10_000)
        throw new Error('a revoked session was still accepted after 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    latencies.push(performance.now() - sent);
  }
  return latencies.sort((x, y) => x - y);
}
