import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, isDay, parseView, viewSearch, viewSpan } from '../src/components/console/range.ts';

describe('the console view in the URL', () => {
  it('round-trips every choice through the query string', () => {
    const views = [
      { range: 'custom', from: '2026-11-02', to: '2026-11-08', bucket: 'hour', split: '' },
      { range: '90d', bucket: 'week', split: 'agent' },
      { range: '24h', bucket: 'hour', split: 'environment' },
    ] as const;
    for (const view of views) expect(parseView(viewSearch(view))).toEqual(view);
    expect(viewSearch(views[0])).toBe('?range=custom&from=2026-11-02&to=2026-11-08&bucket=hour&by=all');
  });

  it('falls back to the defaults for anything that is not a choice', () => {
    expect(parseView('')).toEqual(DEFAULT_VIEW);
    expect(parseView('?range=1y&bucket=minute&by=team')).toEqual(DEFAULT_VIEW);
    // A preset brings its own bucket unless the link names one.
    expect(parseView('?range=24h')).toEqual({ range: '24h', bucket: 'hour', split: 'agentType' });
    expect(parseView('?range=24h&bucket=day').bucket).toBe('day');
    // A custom range needs two real days.
    expect(parseView('?range=custom&from=2026-02-30&to=2026-03-02').range).toBe(DEFAULT_VIEW.range);
    expect(parseView('?range=custom&from=2026-03-01').range).toBe(DEFAULT_VIEW.range);
  });

  it('knows a day from a string that looks like one', () => {
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-1-01')).toBe(false);
    expect(isDay('')).toBe(false);
  });

  it('asks for the whole of the last day, and sends a reversed range as it is', () => {
    const span = viewSpan({
      range: 'custom',
      from: '2026-11-02',
      to: '2026-11-08',
      bucket: 'day',
      split: '',
    });
    expect(span.from.toISOString()).toBe('2026-11-02T00:00:00.000Z');
    expect(span.to.toISOString()).toBe('2026-11-09T00:00:00.000Z');
    const reversed = viewSpan({
      range: 'custom',
      from: '2026-11-08',
      to: '2026-11-02',
      bucket: 'day',
      split: '',
    });
    expect(reversed.from.getTime()).toBeGreaterThan(reversed.to.getTime());
    const now = Date.parse('2026-12-07T13:00:00Z');
    const week = viewSpan({ range: '7d', bucket: 'day', split: '' }, now);
    expect(week.to.getTime() - week.from.getTime()).toBe(7 * 86_400_000);
    expect(week.to.getTime()).toBe(now);
  });
});
