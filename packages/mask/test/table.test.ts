import { describe, expect, it } from 'vitest';
import { maskTable } from '../src/index.ts';

describe('maskTable', () => {
  it('masks every cell of sensitive columns, exact or glob, case-insensitively', () => {
    const t = maskTable({
      columns: ['id', 'Email', 'SSN', 'card_number', 'refresh_token', '"users"."password_hash"', 'city'],
      rows: [
        [1, 'ann@example.com', '123-45-6789', '4111111111111112', 'abc', '$2b$12$abc', 'Oslo'],
        [2, null, 'unknown', 'n/a', '', 'x', 'Rome'],
      ],
    });
    expect(t.rows).toEqual([
      [
        1,
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        'Oslo',
      ],
      [
        2,
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        '[MASKED:COLUMN]',
        'Rome',
      ],
    ]);
    expect(t.counts).toEqual({ COLUMN: 10 });
    expect(t.masked).toBe(10);
    expect(t.columns).toEqual([
      'id',
      'Email',
      'SSN',
      'card_number',
      'refresh_token',
      '"users"."password_hash"',
      'city',
    ]);
  });

  it('runs the text detectors over other cells and keeps clean values and their types', () => {
    const t = maskTable({
      columns: ['id', 'note', 'amount', 'ref', 'active', 'at'],
      rows: [[7, 'mail bob@example.com', 12.5, 4111111111111111n, true, new Date(0)]],
    });
    expect(t.rows[0]).toEqual([7, 'mail [MASKED:EMAIL]', 12.5, '[MASKED:CARD]', true, new Date(0)]);
    expect(t.counts).toEqual({ EMAIL: 1, CARD: 1 });
  });

  it('walks JSON cells and applies column rules to their keys', () => {
    const t = maskTable({
      columns: ['doc'],
      rows: [[{ user: { email: 'x', name: 'Ann' }, tags: ['call 555-123-4567'], api_key: 'k' }]],
    });
    expect(t.rows[0]![0]).toEqual({
      user: { email: '[MASKED:COLUMN]', name: 'Ann' },
      tags: ['call [MASKED:PHONE]'],
      api_key: '[MASKED:COLUMN]',
    });
  });

  it('rejects a malformed table', () => {
    expect(() => maskTable({ columns: 'a', rows: [] } as never)).toThrow(TypeError);
    expect(() => maskTable({ columns: ['a'], rows: ['x'] } as never)).toThrow(TypeError);
  });
});
