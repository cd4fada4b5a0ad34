import { describe, expect, it } from 'vitest';
import { EmbeddedGate, type StallReport } from '../src/embedded-gate.ts';

const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the embedded connection gate', () => {
  it('runs one call at a time, first come first served', async () => {
    const gate = new EmbeddedGate();
    const order: string[] = [];
    const step = (name: string, ms: number) =>
      gate.run('query', name, async () => {
        order.push(`start ${name}`);
        await sleep(ms);
        order.push(`end ${name}`);
      });
    await Promise.all([step('a', 20), step('b', 1), step('c', 1)]);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('turns a wait past the timeout into ERR_DB_BUSY that names the holder', async () => {
    const gate = new EmbeddedGate({ waitTimeoutMs: 50 });
    void gate.run('transaction', 'decide < routes.ts:12', never);
    const waited = gate.run('query', 'select 1', async () => 'answered');
    await expect(waited).rejects.toMatchObject({
      code: 'ERR_DB_BUSY',
      message: expect.stringMatching(/held by a transaction \(decide < routes\.ts:12\) for \d+ ms/),
    });
    expect(gate.waiting).toBe(0);
  });

  it('tells a probe whether calls are moving, without making it wait', async () => {
    const gate = new EmbeddedGate({ stallAfterMs: 40 });
    expect(gate.stall()).toBeUndefined();
    void gate.run('transaction', 'rollup < job.ts:9', never);
    void gate.run('query', 'queued', async () => {}).catch(() => {});
    expect(gate.stall()).toBeUndefined();
    await sleep(60);
    expect(gate.stall()).toMatchObject({ holder: { label: 'rollup < job.ts:9' }, waiting: 1 });
    gate.close();
    expect(() => gate.stall()).toThrow(expect.objectContaining({ code: 'ERR_DB_CLOSED' }));
  });

  it('refuses at once when the queue is full', async () => {
    const gate = new EmbeddedGate({ maxWaiting: 2, waitTimeoutMs: 60_000 });
    void gate.run('query', 'holder', never);
    void gate.run('query', 'w1', async () => {}).catch(() => {});
    void gate.run('query', 'w2', async () => {}).catch(() => {});
    await expect(gate.run('query', 'w3', async () => {})).rejects.toMatchObject({
      code: 'ERR_DB_BUSY',
      message: expect.stringContaining('queue is full'),
    });
    gate.close();
  });

  it('reports a holder that keeps the connection past the stall threshold', async () => {
    const reports: StallReport[] = [];
    const gate = new EmbeddedGate({ stallAfterMs: 20, onStall: (r) => reports.push(r) });
    const slow = gate.run('transaction', 'slow work', () => sleep(80));
    void gate.run('query', 'select 1', async () => {});
    await slow;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ holder: { kind: 'transaction', label: 'slow work' }, waiting: 1 });
    // Timers and Date.now() round differently by a millisecond or so.
    expect(reports[0]!.heldMs).toBeGreaterThanOrEqual(15);
  });

  it('frees the connection when the work fails', async () => {
    const gate = new EmbeddedGate();
    await expect(gate.run('query', 'bad', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await expect(gate.run('query', 'next', async () => 'ok')).resolves.toBe('ok');
    expect(gate.holder).toBeUndefined();
  });

  it('refuses new calls once closed', async () => {
    const gate = new EmbeddedGate();
    gate.close();
    await expect(gate.run('query', 'late', async () => {})).rejects.toMatchObject({ code: 'ERR_DB_CLOSED' });
  });
});
