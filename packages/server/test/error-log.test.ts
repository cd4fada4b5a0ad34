import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type DatabaseHandle, openDatabase } from '@gatehouse/db';
import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { installErrorHandling } from '../src/http/errors.ts';
import { createLogger } from '../src/platform/log.ts';

const t = pgTable('t', { id: text('id').primaryKey(), command: text('command').notNull() });

/** A failed query carries its statement and every parameter; the log must carry neither. */
describe('the log of a failed query', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-error-log-'));

  beforeAll(async () => {
    database = await createTestDatabase('gh_error_log');
    handle = await openDatabase({ url: database.url, dataDir, poolSize: 2 });
    await handle.db.execute(sql`create table t (id text primary key, command text not null)`);
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A server whose one route runs `work`, logging into `lines`. */
  async function serverLogging(work: () => Promise<unknown>) {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const app = Fastify({ loggerInstance: createLogger({ level: 'info' }, destination) });
    installErrorHandling(app);
    app.post('/work/:id', async () => work());
    await app.ready();
    return { app, lines };
  }

  // The shape of the report in issue 17: a 65 KB command and its justification, unmasked.
  const command = `echo ${'A'.repeat(65_000)} TOP-SECRET-COMMAND`;
  const justification = 'the justification nobody may read in a log';

  it.each([
    [
      'a value PostgreSQL refuses (NUL)',
      () => handle.db.execute(sql`insert into t values (${'r1'}, ${`${command}\u0000${justification}`})`),
      '22021',
    ],
    [
      'a unique violation',
      async () => {
        await handle.db.execute(sql`insert into t values (${'dup'}, ${command})`);
        return handle.db.execute(sql`insert into t values (${'dup'}, ${`${command} ${justification}`})`);
      },
      '23505',
    ],
    [
      'a drizzle insert of a whole row',
      () =>
        handle.db.insert(t).values([
          { id: 'k', command: `${command} ${justification}` },
          { id: 'k', command: `${command} ${justification}` },
        ]),
      '23505',
    ],
  ])('%s: a bounded line with the code and route, without statement or values', async (_, work, state) => {
    const { app, lines } = await serverLogging(work);
    const answer = await app.inject({ method: 'POST', url: '/work/abc?q=search-text', payload: {} });
    await app.close();
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({
      error: { code: 'INTERNAL', message: 'internal error; the request was not completed' },
    });
    const log = lines.join('\n');
    expect(Buffer.byteLength(log)).toBeLessThan(4_096);
    expect(log).not.toContain('AAAAAAAAAA');
    expect(log).not.toContain('TOP-SECRET');
    expect(log).not.toContain(justification);
    expect(log).not.toContain('insert into');
    expect(log).not.toContain('search-text');
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unhandled error');
    expect(failure).toMatchObject({
      level: 50,
      reqId: expect.any(String),
      route: 'POST /work/:id',
      err: { type: 'DrizzleQueryError < DatabaseError', message: expect.any(String), code: state },
    });
    expect(failure.err.stack.length).toBeLessThanOrEqual(8);
  });

  it('bounds the message of any other error and blanks what it quotes', async () => {
    const { app, lines } = await serverLogging(async () => {
      throw new TypeError(`cannot read "${command}" of 'undefined'`);
    });
    await app.inject({ method: 'POST', url: '/work/1', payload: {} });
    await app.close();
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unhandled error');
    expect(failure.err).toMatchObject({ type: 'TypeError', message: `cannot read "…" of '…'` });
    expect(lines.join('\n').length).toBeLessThan(4_096);
  });
});
