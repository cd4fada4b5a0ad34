import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVerdictKeyPair, signingKeyFromJwk } from '@gatehouse/verdict';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileWitness,
  readWitness,
  WebhookSink,
  type WitnessBody,
  Witnesses,
  WitnessReader,
} from '../src/audit/witness.ts';
import { compareWithWitness, type DatabaseView } from '../src/audit/witness-check.ts';

/** The witness on its own: a real file on disk, a real HTTP receiver, real Ed25519 keys. */
describe('audit witness', () => {
  let keys: JWK[];
  let signer: () => Promise<ReturnType<typeof signingKeyFromJwk>>;
  let otherKeys: JWK[];

  beforeAll(async () => {
    const pair = await generateVerdictKeyPair();
    keys = [pair.publicJwk];
    const key = signingKeyFromJwk(pair.privateJwk as JWK & { kid: string });
    signer = async () => key;
    otherKeys = [(await generateVerdictKeyPair()).publicJwk];
  });

  const dir = () => mkdtempSync(join(tmpdir(), 'gh-witness-'));
  const checkpoint = (seq: number, lanes: [string, number][], full = false): WitnessBody => ({
    kind: 'checkpoint',
    checkpoint: { seq, hash: `${seq}`.padStart(64, 'c'), createdAt: new Date().toISOString() },
    events: lanes.reduce((n, [, s]) => n + s, 0),
    lanes: lanes.map(([chain, s]) => ({ chain, seq: s, hash: `${chain}:${s}`.padEnd(64, 'h') })),
    full,
  });

  async function written(path: string, bodies: WitnessBody[]) {
    const witness = new FileWitness(path);
    for (const body of bodies) await witness.append(body, await signer());
    return readFileSync(path, 'utf8').trimEnd().split('\n');
  }

  it('appends signed entries, each chained to the one before, in a 0600 file', async () => {
    const path = join(dir(), 'sub', 'witness.jsonl');
    const lines = await written(path, [checkpoint(1, [['a.0', 3]], true), checkpoint(2, [['a.0', 5]])]);
    expect(lines).toHaveLength(2);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ v: 1, n: 1, prev: null, kind: 'checkpoint', full: true });
    expect(second).toMatchObject({ n: 2, kind: 'checkpoint' });
    expect(second.prev).toMatch(/^[0-9a-f]{64}$/);
    const state = await readWitness(path, keys);
    expect(state).toMatchObject({ status: 'ok', entries: 2, problems: [] });
    expect(state.checkpoints.get(2)?.hash).toBe('2'.padStart(64, 'c'));
    expect(state.lanes.get('a.0')?.map((h) => h.seq)).toEqual([3, 5]);
  });

  it('refuses entries signed by a key it does not trust', async () => {
    const path = join(dir(), 'witness.jsonl');
    await written(path, [checkpoint(1, [['a.0', 1]])]);
    const state = await readWitness(path, otherKeys);
    expect(state.status).toBe('broken');
    expect(state.problems[0]).toMatchObject({ kind: 'witness-broken', entry: 1 });
    expect(state.problems[0]!.detail).toMatch(/does not verify/);
    expect(state.checkpoints.size).toBe(0);
  });

  it('reports an edited entry and a removed one', async () => {
    const path = join(dir(), 'witness.jsonl');
    const lines = await written(path, [
      checkpoint(1, [['a.0', 1]]),
      checkpoint(2, [['a.0', 2]]),
      checkpoint(3, [['a.0', 3]]),
      checkpoint(4, [['a.0', 4]]),
    ]);
    // Edited: the lane head moved back.
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"seq":3', '"seq":1');
    writeFileSync(path, `${edited.join('\n')}\n`);
    const afterEdit = await readWitness(path, keys);
    expect(afterEdit.status).toBe('broken');
    expect(afterEdit.problems.map((p) => p.detail)).toEqual([
      expect.stringMatching(/witness entry 3 \(line 3\) does not verify/),
      expect.stringMatching(/witness entries 3\.\.3 are missing before line 4/),
    ]);
    // Removed: entry 2 is gone; entry 3 no longer links.
    writeFileSync(path, `${[lines[0], lines[2], lines[3]].join('\n')}\n`);
    const afterRemoval = await readWitness(path, keys);
    expect(afterRemoval.problems).toEqual([
      expect.objectContaining({
        kind: 'witness-broken',
        detail: expect.stringMatching(/entries 2\.\.2 are missing/),
      }),
    ]);
  });

  it('skips a write cut short by a crash, and the next append closes it off', async () => {
    const path = join(dir(), 'witness.jsonl');
    await written(path, [checkpoint(1, [['a.0', 1]])]);
    appendFileSync(path, '{"v":1,"n":2,"prev":"ab');
    // An unfinished last line is a write still going on: not a problem.
    expect(await readWitness(path, keys)).toMatchObject({ status: 'ok', entries: 1 });
    await new FileWitness(path).append(checkpoint(2, [['a.0', 2]]), await signer());
    const state = await readWitness(path, keys);
    expect(state).toMatchObject({ status: 'ok', entries: 2, problems: [] });
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4);
  });

  it('keeps one chain when processes append to one file under a shared lock', async () => {
    const path = join(dir(), 'witness.jsonl');
    let queue = Promise.resolve();
    const lock = <T>(work: () => Promise<T>) => {
      const run = queue.then(work);
      queue = run.then(
        () => {},
        () => {},
      );
      return run;
    };
    const a = new FileWitness(path, { lock });
    const b = new FileWitness(path, { lock });
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        (i % 2 ? a : b).append(checkpoint(i + 1, [[`l.${i % 3}`, i + 1]]), await signer()),
      ),
    );
    expect(await readWitness(path, keys)).toMatchObject({ status: 'ok', entries: 20, problems: [] });
  });

  it('read again, reads only what was appended, and notices a witness that shrank or was rewritten', async () => {
    const path = join(dir(), 'witness.jsonl');
    const witness = new FileWitness(path);
    await witness.append(checkpoint(1, [['a.0', 1]]), await signer());
    const reader = new WitnessReader(path);
    expect(await reader.read(keys)).toMatchObject({ status: 'ok', entries: 1 });
    await witness.append(checkpoint(2, [['a.0', 2]]), await signer());
    await witness.append(checkpoint(3, [['a.0', 3]]), await signer());
    const grown = await reader.read(keys);
    expect(grown).toMatchObject({ status: 'ok', entries: 3 });
    expect(grown.lanes.get('a.0')?.map((h) => h.seq)).toEqual([1, 2, 3]);
    // The newest entry removed: the file is shorter than what was read.
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${lines.slice(0, 2).join('\n')}\n`);
    const shrunk = await reader.read(keys);
    expect(shrunk.status).toBe('broken');
    expect(shrunk.problems[0]!.detail).toMatch(/shrank from \d+ to \d+ bytes: entries were removed/);
    // Rewritten in place, same length: the line at the boundary differs.
    const again = new WitnessReader(path);
    await again.read(keys);
    const last = lines[1]!;
    const same = last.replace(
      /"at":"([^"]+)Z"/,
      (_m, t: string) => `"at":"${t.slice(0, -1)}${t.at(-1) === '1' ? '2' : '1'}Z"`,
    );
    expect(same).not.toBe(last);
    expect(same.length).toBe(last.length);
    writeFileSync(path, `${lines[0]}\n${same}\n`);
    const rewritten = await again.read(keys);
    expect(rewritten.problems.map((p) => p.detail)).toEqual(
      expect.arrayContaining([expect.stringMatching(/was rewritten before byte/)]),
    );
  });

  it('says a witness that is not there, or not a file, is unavailable', async () => {
    const base = dir();
    const missing = await readWitness(join(base, 'nope.jsonl'), keys);
    expect(missing).toMatchObject({ status: 'unavailable' });
    expect(missing.problems[0]).toMatchObject({
      kind: 'witness-unavailable',
      detail: expect.stringMatching(/no such file/),
    });
    const directory = await readWitness(base, keys);
    expect(directory.problems[0]!.detail).toMatch(/not a regular file/);
  });

  describe('compared with the database', () => {
    const view = (over: Partial<DatabaseView> & { heads?: Record<string, number> }): DatabaseView => ({
      lastCheckpoint: 3,
      checkpointHash: async (seq) =>
        seq <= (over.lastCheckpoint ?? 3) ? `${seq}`.padStart(64, 'c') : undefined,
      laneHead: async (chain) => over.heads?.[chain],
      eventHash: async (chain, seq) => `${chain}:${seq}`.padEnd(64, 'h'),
      ...over,
    });

    it('names what the database lacks, and since when', async () => {
      const path = join(dir(), 'witness.jsonl');
      await written(path, [
        checkpoint(
          1,
          [
            ['a.0', 2],
            ['b.0', 1],
          ],
          true,
        ),
        checkpoint(2, [['a.0', 4]]),
        checkpoint(3, [['a.0', 6]]),
      ]);
      const state = await readWitness(path, keys);
      const times = [...state.checkpoints.values()].map((c) => c.at);
      const problems = await compareWithWitness(state, view({ lastCheckpoint: 1, heads: { 'a.0': 3 } }));
      expect(problems).toEqual([
        expect.objectContaining({
          kind: 'rolled-back',
          checkpoint: 2,
          since: times[1],
          detail: expect.stringMatching(/ends at checkpoint 1, .* checkpoints 2\.\.3 missing since /),
        }),
        expect.objectContaining({
          kind: 'truncated',
          chain: 'a.0',
          seq: 4,
          since: times[1],
          detail: expect.stringMatching(
            /lane a\.0 ends at seq 3, .*: 3 events \(seq 4\.\.6\) missing since /,
          ),
        }),
        expect.objectContaining({
          kind: 'lane-missing',
          chain: 'b.0',
          since: times[0],
          detail: expect.stringMatching(
            /lane b\.0 has no events .* all 1 events \(seq 1\.\.1\) missing since /,
          ),
        }),
      ]);
      expect(await compareWithWitness(state, view({ heads: { 'a.0': 6, 'b.0': 1 } }))).toEqual([]);
    });
  });

  describe('webhook sink', () => {
    let server: Server;
    let url: string;
    const received: string[] = [];
    let down = false;

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          if (down) {
            res.writeHead(503).end();
            return;
          }
          received.push(body);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/witness`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('receives every line in order, catches up after an outage, and its copy verifies', async () => {
      const base = dir();
      const sink = new WebhookSink(url, { timeoutMs: 2_000 });
      const failures: string[] = [];
      const witnesses = new Witnesses({
        file: new FileWitness(join(base, 'witness.jsonl')),
        sinks: [sink],
        signer,
        onFailure: (f) => failures.push(f.name),
      });
      expect((await witnesses.record(checkpoint(1, [['a.0', 1]], true))).failed).toEqual([]);
      down = true;
      const during = await witnesses.record(checkpoint(2, [['a.0', 2]]));
      expect(during.line).toBeDefined();
      expect(during.failed).toEqual([{ name: sink.name, error: expect.stringMatching(/answered 503/) }]);
      expect(witnesses.health().find((h) => h.name === sink.name)?.failing).toBeDefined();
      down = false;
      await witnesses.record(checkpoint(3, [['a.0', 3]]));
      expect(sink.queued).toBe(0);
      expect(witnesses.health().find((h) => h.name === sink.name)?.failing).toBeUndefined();
      expect(failures).toEqual([sink.name]);
      expect(received.map((l) => JSON.parse(l).n)).toEqual([1, 2, 3]);
      // What the receiver kept is a witness `audit verify --witness` reads like the file.
      const copy = join(base, 'received.jsonl');
      writeFileSync(copy, `${received.join('\n')}\n`);
      expect(await readWitness(copy, keys)).toMatchObject({ status: 'ok', entries: 3 });
      expect(readFileSync(copy, 'utf8')).toBe(readFileSync(join(base, 'witness.jsonl'), 'utf8'));
    });

    it('reports a receiver that cannot be reached', async () => {
      const sink = new WebhookSink('http://127.0.0.1:1/witness', { timeoutMs: 1_000 });
      const witnesses = new Witnesses({
        file: new FileWitness(join(dir(), 'w.jsonl')),
        sinks: [sink],
        signer,
      });
      const outcome = await witnesses.record(checkpoint(1, [['a.0', 1]], true));
      expect(outcome.line).toBeDefined();
      expect(outcome.failed).toEqual([{ name: sink.name, error: expect.any(String) }]);
    });
  });
});

describe('witness configuration', () => {
  it('defaults to the data dir, is required once named, and can be turned off', async () => {
    const { loadConfig } = await import('../src/config.ts');
    expect(loadConfig({ GATEHOUSE_DATA_DIR: '/srv/gh' }).audit).toMatchObject({
      witnessFile: '/srv/gh/audit-witness.jsonl',
      witnessRequired: false,
    });
    expect(loadConfig({ GATEHOUSE_AUDIT_WITNESS_FILE: '/mnt/evidence/w.jsonl' }).audit).toMatchObject({
      witnessFile: '/mnt/evidence/w.jsonl',
      witnessRequired: true,
    });
    expect(loadConfig({ GATEHOUSE_AUDIT_WITNESS_FILE: 'off' }).audit.witnessFile).toBeUndefined();
    expect(() =>
      loadConfig({
        GATEHOUSE_AUDIT_WITNESS_FILE: 'off',
        GATEHOUSE_AUDIT_WITNESS_WEBHOOK: 'https://x.example/w',
      }),
    ).toThrow(/GATEHOUSE_AUDIT_WITNESS_WEBHOOK forwards the witness file/);
    expect(() => loadConfig({ GATEHOUSE_AUDIT_WITNESS_WEBHOOK: 'http://evidence.example/w' })).toThrow(
      /GATEHOUSE_AUDIT_WITNESS_WEBHOOK must be an https: URL/,
    );
    expect(() => loadConfig({ GATEHOUSE_DB_APP_ROLE: 'Robert"; drop' })).toThrow(
      /GATEHOUSE_DB_APP_ROLE must be a PostgreSQL role name/,
    );
    expect(loadConfig({ GATEHOUSE_DB_APP_ROLE: 'none' }).dbAppRole).toBeUndefined();
  });
});
