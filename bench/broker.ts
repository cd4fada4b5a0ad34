import pg from 'pg';
import { startGatehouse } from '../test/support/gatehouse.ts';
import { createPostgresTarget, registerTarget } from '../test/support/targets.ts';
import { type BenchResult, percentile } from './types.ts';

const ROUNDS = Number(process.env.BENCH_BROKER_ROUNDS ?? 40);
const SMALL_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SMALL_CONCURRENCY = 4;
const STATEMENT = 'select id, email as contact, card as payment, note from people order by id';

/**
 * The broker's cost: a brokered SELECT of 1,000 rows (emails and card numbers in every row,
 * so masking does real work) — submit, score, sign, consume, take a pooled target session, run,
 * mask, record, audit, answer over HTTP — against the same query run directly with `pg`, on
 * a fresh connection and on an open one (the broker's pool makes it the latter, plus a reset). Variants are
 * interleaved round by round, so a busy machine slows them alike; the ratio is of medians
 * from the same run. Then small brokered queries per second, `SMALL_CONCURRENCY` at a time.
 */
export async function benchBroker(): Promise<BenchResult[]> {
  const target = await createPostgresTarget();
  const gh = await startGatehouse({ redis: false });
  try {
    await target.adminQuery(
      `create table people as select g as id, 'user' || g || '@example.com' as email,
         '4111 1111 1111 1111' as card, md5(g::text) as note from generate_series(1, 1000) g`,
    );
    await target.adminQuery(`grant select on people to "${target.user}"`);
    const agent = await gh.createAgent({ name: 'bench-broker', type: 'bench' });
    await registerTarget(gh, target, { name: 'bench', grant: { agentId: agent.id } });
    const session = await gh.session(agent.key);

    const login = {
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password,
    };
    const direct = async () => {
      const client = new pg.Client(login);
      await client.connect();
      try {
        const result = await client.query({ text: STATEMENT, rowMode: 'array' } as pg.QueryConfig);
        if (result.rows.length !== 1000) throw new Error('direct query lost rows');
      } finally {
        await client.end();
      }
    };
    const open = new pg.Client(login);
    await open.connect();
    const directOpen = async () => {
      const result = await open.query({ text: STATEMENT, rowMode: 'array' } as pg.QueryConfig);
      if (result.rows.length !== 1000) throw new Error('direct query lost rows');
    };
    const brokered = async (statement: string) => {
      const submitted = await gh.api('/v1/requests', {
        token: session,
        body: { kind: 'sql', connection: 'bench', command: statement },
      });
      if (submitted.body.status !== 'auto_approved')
        throw new Error(`not auto-approved: ${submitted.body.status}`);
      const answer = await gh.api(`/v1/requests/${submitted.body.id}/execute`, { token: session, body: {} });
      if (answer.status !== 200) throw new Error(`execute failed: ${JSON.stringify(answer.body)}`);
      return answer.body as { rowCount: number; masked: Record<string, number> };
    };
    const first = await brokered(STATEMENT);
    if (first.rowCount !== 1000 || first.masked.EMAIL !== 1000) throw new Error('brokered result not masked');

    const timings = { direct: [] as number[], directOpen: [] as number[], brokered: [] as number[] };
    const time = async (into: number[], work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      into.push(performance.now() - started);
    };
    for (let i = 0; i < ROUNDS; i++) {
      await time(timings.direct, direct);
      await time(timings.directOpen, directOpen);
      await time(timings.brokered, () => brokered(STATEMENT));
    }
    await open.end();

    const small: number[] = [];
    const until = performance.now() + SMALL_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SMALL_CONCURRENCY }, async () => {
        while (performance.now() < until) await time(small, () => brokered('select 1'));
      }),
    );
    const smallSeconds = (performance.now() - started) / 1000;

    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const s = {
      direct: sorted(timings.direct),
      open: sorted(timings.directOpen),
      brokered: sorted(timings.brokered),
    };
    const p50 = (xs: number[]) => percentile(xs, 50);
    const row = (name: string, xs: number[], notes: string): BenchResult => ({
      name,
      opsPerSec: 1000 / p50(xs),
      p50Ms: p50(xs),
      p99Ms: percentile(xs, 99),
      notes,
    });
    return [
      row('direct pg, fresh connection, 1,000 rows', s.direct, `${ROUNDS} rounds, interleaved`),
      row('direct pg, open connection, 1,000 rows', s.open, ''),
      row(
        'brokered + masked, 1,000 rows',
        s.brokered,
        `${(p50(s.brokered) / p50(s.direct)).toFixed(1)}× fresh direct, ${(p50(s.brokered) / p50(s.open)).toFixed(1)}× open direct (p50)`,
      ),
      {
        ...row(
          'brokered small query (select 1)',
          sorted(small),
          `${SMALL_CONCURRENCY} concurrent, ${SMALL_SECONDS} s`,
        ),
        opsPerSec: small.length / smallSeconds,
      },
    ];
  } finally {
    await gh.stop();
    await target.drop();
  }
}
