import { describe, expect, it } from 'vitest';
import { jsonCell, maskResult, resultDigest } from '../src/broker/result.ts';
import { controlsSession, scoredReadOnly } from '../src/connections/submit.ts';

describe('brokered results', () => {
  it('turns driver values into JSON before masking, so a card in bytes is still found', () => {
    expect(jsonCell(new Date('2026-01-02T03:04:05.000Z'))).toBe('2026-01-02T03:04:05.000Z');
    expect(jsonCell(Buffer.from('hi'))).toBe('\\x6869');
    expect(jsonCell(12n)).toBe('12');
    expect(jsonCell(Number.NaN)).toBe('NaN');
    expect(jsonCell({ a: [new Date(0)] })).toEqual({ a: ['1970-01-01T00:00:00.000Z'] });
    const masked = maskResult({
      columns: ['raw'],
      rows: [[Buffer.from('4111 1111 1111 1111')]],
      truncated: false,
      affectedRows: null,
    });
    expect(JSON.stringify(masked.rows)).not.toContain('4111');
  });

  it('digests the masked table canonically', () => {
    const a = maskResult({ columns: ['x'], rows: [[{ b: 1, a: 2 }]], truncated: false, affectedRows: null });
    expect(a.sha256).toBe(resultDigest(['x'], [[{ a: 2, b: 1 }]]));
    expect(a.sha256).not.toBe(resultDigest(['x'], [[{ a: 2, b: 2 }]]));
  });

  it('fails closed: a result that cannot be masked is withheld, with nothing of it in the error', () => {
    const hostile = {
      get detectors(): never {
        throw new Error('alice@example.com');
      },
    };
    let caught: unknown;
    try {
      maskResult(
        { columns: ['e'], rows: [['alice@example.com']], truncated: false, affectedRows: null },
        hostile,
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'RESULT_WITHHELD', status: 500 });
    expect(String((caught as Error).message)).not.toContain('alice');
  });

  it('classes as read-only only reads with nothing but context beside them', () => {
    const read = { rule: 'sql.read', category: 'read_only' as const, weight: 0, detail: '' };
    const cmd = [{ kind: 'sql' as const, name: 'SELECT', args: [], text: 'select 1', via: [] }];
    expect(scoredReadOnly({ reasons: [read], commands: cmd })).toBe(true);
    expect(
      scoredReadOnly({
        reasons: [read, { rule: 'sql.multi-statement', category: 'context', weight: 10, detail: '' }],
        commands: [...cmd, ...cmd],
      }),
    ).toBe(true);
    expect(
      scoredReadOnly({
        reasons: [read, { rule: 'sql.function.unknown', category: 'uncertainty', weight: 30, detail: '' }],
        commands: cmd,
      }),
    ).toBe(false);
    expect(
      scoredReadOnly({
        reasons: [{ rule: 'sql.write', category: 'idempotent_write', weight: 35, detail: '' }],
        commands: cmd,
      }),
    ).toBe(false);
    expect(scoredReadOnly({ reasons: [read], commands: [] })).toBe(false);
    // Nothing to say about it (prepare/execute): READ ONLY, so a hidden write fails.
    expect(scoredReadOnly({ reasons: [], commands: cmd })).toBe(true);
  });

  it('recognises text that would take the transaction or the session from the broker', () => {
    const of = (...names: string[]) =>
      names.map((name) => ({ kind: 'sql' as const, name, args: [], text: '', via: [] }));
    expect(controlsSession({ reasons: [], commands: of('SELECT', 'COMMIT', 'SELECT') })).toBe(true);
    expect(controlsSession({ reasons: [], commands: of('set') })).toBe(true);
    expect(
      controlsSession({
        reasons: [{ rule: 'sql.session', category: 'read_only', weight: 5, detail: '' }],
        commands: of('UNKNOWN'),
      }),
    ).toBe(true);
    expect(controlsSession({ reasons: [], commands: of('SELECT', 'SHOW', 'EXPLAIN') })).toBe(false);
  });
});
