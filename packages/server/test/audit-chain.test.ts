import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/audit/canonical-json.ts';
import { type ChainedEvent, chainEvent, findChainProblem, GENESIS_HASH } from '../src/audit/chain.ts';

function chain(n: number): ChainedEvent[] {
  const events: ChainedEvent[] = [];
  let head = { chain: 'w1.0', seq: 0, hash: GENESIS_HASH };
  for (let i = 0; i < n; i++) {
    const event = chainEvent(
      head,
      { type: 't', actor: { type: 'system', id: 'x' }, data: { i, nested: { b: 1, a: [2] } } },
      new Date(1_700_000_000_000 + i),
    );
    events.push(event);
    head = event;
  }
  return events;
}

describe('audit chain', () => {
  it('verifies an intact chain', () => {
    expect(findChainProblem(chain(5))).toBeUndefined();
  });

  it('detects an edited event', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, data: { i: 99 } };
    expect(findChainProblem(events)).toEqual({ chain: 'w1.0', seq: 3, reason: 'hash' });
  });

  it('detects a deleted, inserted or reordered event', () => {
    const events = chain(5);
    expect(findChainProblem([events[0]!, events[1]!, events[3]!, events[4]!])).toMatchObject({
      seq: 4,
      reason: 'gap',
    });
    expect(findChainProblem([events[0]!, events[2]!, events[1]!])).toMatchObject({ reason: 'gap' });
    const forged = { ...events[1]!, seq: 2 };
    expect(findChainProblem([events[0]!, forged, { ...events[2]!, prevHash: 'x' }])).toMatchObject({
      seq: 3,
      reason: 'link',
    });
    expect(findChainProblem(events.slice(1))).toMatchObject({ seq: 2, reason: 'gap' });
  });

  it('hashes data independently of key order (jsonb re-orders keys)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    const [event] = chain(1);
    const reordered = { ...event!, data: Object.fromEntries(Object.entries(event!.data).reverse()) };
    expect(findChainProblem([reordered])).toBeUndefined();
  });
});
