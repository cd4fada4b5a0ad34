import { schema } from '@gatehouse/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { digest, MAX_RECORDING_BYTES, prepareRecording } from '../src/recordings/prepare.ts';
import { purgeRecordings } from '../src/recordings/service.ts';

describe('recordings', () => {
  let gh: TestGatehouse;
  let session: string;
  let auditor: { token: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    session = await gh.session((await gh.createAgent()).key);
    auditor = await gh.createUser('audit@example.com', ['auditor']);
  });
  afterAll(async () => gh?.stop());

  async function executed(command = 'cat notes.txt') {
    const r = await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    expect(r.body.status).toBe('auto_approved');
    await gh.api(`/v1/requests/${r.body.id}/consume`, { token: session, body: {} });
    return r.body.id as string;
  }

  it('stores output masked, even a secret split across chunks, and audits its hash and counts', async () => {
    const id = await executed();
    const chunks = [
      { t: 0, stream: 'stdout', data: 'contact: alice@exam' },
      { t: 5, stream: 'stdout', data: 'ple.com\nkey AKIAIOSFODNN7EXAMPLE\n' },
      { t: 9, stream: 'stderr', data: 'warning: nothing secret\n' },
    ];
    const r = await gh.api(`/v1/requests/${id}/result`, {
      token: session,
      body: { exitCode: 0, durationMs: 12, output: { chunks, truncated: false } },
    });
    expect(r.status).toBe(201);
    const recording = await gh.api(`/v1/requests/${id}/recording`, { token: auditor.token });
    const text = recording.body.chunks.map((c: { data: string }) => c.data).join('');
    expect(text).not.toContain('alice@example.com');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).toContain('[MASKED:EMAIL]');
    expect(text).toContain('[MASKED:AWS_ACCESS_KEY]');
    expect(recording.body.masked).toMatchObject({ EMAIL: 1, AWS_ACCESS_KEY: 1 });

    const [event] = await gh.running.runtime.database.db
      .select()
      .from(schema.auditEvents)
      .where(
        sql`${schema.auditEvents.subjectId} = ${id} and ${schema.auditEvents.type} = 'execution.reported'`,
      );
    const audited = event!.data.recording as {
      sha256: string;
      masked: Record<string, number>;
      withheld: boolean;
    };
    expect(audited.sha256).toBe(digest(recording.body.chunks));
    expect(audited).toMatchObject({ withheld: false, masked: { EMAIL: 1, AWS_ACCESS_KEY: 1 } });
    expect(JSON.stringify(event!.data)).not.toContain('alice@example.com');
  });

  it('only people with a role may read a recording', async () => {
    const id = await executed('ls');
    await gh.api(`/v1/requests/${id}/result`, {
      token: session,
      body: { exitCode: 0, durationMs: 1, output: { chunks: [], truncated: false } },
    });
    expect((await gh.api(`/v1/requests/${id}/recording`, { token: session })).status).toBe(403);
    expect((await gh.api('/v1/requests/req_none/recording', { token: auditor.token })).status).toBe(404);
  });

  it('caps a recording and flags the truncation', () => {
    const big = 'x'.repeat(700_000);
    const recording = prepareRecording(
      [
        { t: 0, stream: 'stdout', data: big },
        { t: 1, stream: 'stdout', data: big },
      ],
      false,
    );
    expect(recording.bytes).toBeLessThanOrEqual(MAX_RECORDING_BYTES);
    expect(recording.truncated).toBe(true);
  });

  it('withholds the output when masking fails, never storing it unmasked', () => {
    const hostile = {
      get detectors(): never {
        throw new Error('boom');
      },
    };
    const recording = prepareRecording(
      [{ t: 0, stream: 'stdout', data: 'alice@example.com' }],
      false,
      hostile,
    );
    expect(recording).toMatchObject({ withheld: true, chunks: [], bytes: 0 });
  });

  it('purges recordings past retention but keeps their audit events', async () => {
    const id = await executed('cat old.txt');
    await gh.api(`/v1/requests/${id}/result`, {
      token: session,
      body: {
        exitCode: 0,
        durationMs: 3,
        output: { chunks: [{ t: 0, stream: 'stdout', data: 'old' }], truncated: false },
      },
    });
    const db = gh.running.runtime.database.db;
    await db.execute(
      sql`update recordings set created_at = now() - interval '40 days' where request_id = ${id}`,
    );
    expect(await purgeRecordings(gh.running.runtime, 30)).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(schema.recordings).where(eq(schema.recordings.requestId, id))).toEqual([]);
    const events = await db.select({ type: schema.auditEvents.type }).from(schema.auditEvents);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['execution.reported', 'recordings.purged']),
    );
  });
});

describe('masking rules from the policy file', () => {
  it('applies the policy’s masking section, and refuses to start on an invalid one', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'gh-policy-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'extends: default\nversion: "test.1"\nmasking:\n  detectors: [EMAIL]\n');
    const gh = await startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: policy } });
    try {
      const session = await gh.session((await gh.createAgent()).key);
      const auditor = await gh.createUser('a@example.com', ['auditor']);
      const r = await gh.api('/v1/requests', {
        token: session,
        body: { kind: 'shell', command: 'cat notes.txt' },
      });
      await gh.api(`/v1/requests/${r.body.id}/result`, {
        token: session,
        body: {
          exitCode: 0,
          durationMs: 1,
          output: {
            chunks: [{ t: 0, stream: 'stdout', data: 'bob@example.com AKIAIOSFODNN7EXAMPLE' }],
            truncated: false,
          },
        },
      });
      const text = (await gh.api(`/v1/requests/${r.body.id}/recording`, { token: auditor.token })).body
        .chunks[0].data;
      expect(text).toBe('[MASKED:EMAIL] AKIAIOSFODNN7EXAMPLE');
    } finally {
      await gh.stop();
    }
    writeFileSync(policy, 'extends: default\nversion: "test.2"\nmasking:\n  detectors: [NOT_A_DETECTOR]\n');
    await expect(
      startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: policy } }),
    ).rejects.toMatchObject({
      code: 'ERR_MASKING_CONFIG',
    });
  });
});
