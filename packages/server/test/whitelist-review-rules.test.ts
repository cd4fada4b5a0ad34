import { createRiskEngine, PolicyError } from '@gatehouse/risk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../src/errors.ts';
import {
  blastRadius,
  DEFAULT_REVIEW,
  effectiveExpiry,
  isDue,
  type ReviewSettings,
  renewalDate,
  reviewComment,
  reviewOf,
  reviewSettings,
} from '../src/whitelist/review.ts';

const DAY = 86_400_000;
const created = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(created.getTime() + days * DAY);
const fresh = { createdAt: created, nextReviewAt: null, retiredAt: null };

describe('whitelist review dates', () => {
  it('defaults: review 90 days after creation, due 14 days before, applies 14 days past it', () => {
    expect(reviewSettings(undefined)).toEqual({ intervalDays: 90, graceDays: 14, dueWithinDays: 14 });
    expect(reviewOf(fresh, DEFAULT_REVIEW, at(10))).toEqual({
      state: 'current',
      nextReviewAt: at(90),
      lapsesAt: at(104),
    });
    expect(reviewOf(fresh, DEFAULT_REVIEW, at(76)).state).toBe('due');
    expect(reviewOf(fresh, DEFAULT_REVIEW, at(90)).state).toBe('overdue');
    expect(reviewOf(fresh, DEFAULT_REVIEW, new Date(at(104).getTime() - 1)).state).toBe('overdue');
    expect(reviewOf(fresh, DEFAULT_REVIEW, at(104)).state).toBe('lapsed');
  });

  it('a renewal date replaces the default; a retirement wins over every date', () => {
    const renewed = { ...fresh, nextReviewAt: at(200) };
    expect(reviewOf(renewed, DEFAULT_REVIEW, at(150)).state).toBe('current');
    expect(reviewOf(renewed, DEFAULT_REVIEW, at(214)).state).toBe('lapsed');
    const retired = { ...fresh, retiredAt: at(5) };
    expect(reviewOf(retired, DEFAULT_REVIEW, at(6)).state).toBe('retired');
    expect(isDue(reviewOf(retired, DEFAULT_REVIEW, at(500)))).toBe(false);
    expect(effectiveExpiry(at(30), retired, DEFAULT_REVIEW)).toBeNull();
  });

  it('the policy section overrides each default it names', () => {
    expect(reviewSettings({ graceDays: 0 })).toEqual({ intervalDays: 90, graceDays: 0, dueWithinDays: 14 });
    const now = at(30);
    expect(reviewOf(fresh, reviewSettings({ intervalDays: 30, graceDays: 0 }), now).state).toBe('lapsed');
  });

  it('the engine sees the earlier of expiry and lapse', () => {
    expect(effectiveExpiry(at(400), fresh, DEFAULT_REVIEW)).toEqual(at(104));
    expect(effectiveExpiry(at(20), fresh, DEFAULT_REVIEW)).toEqual(at(20));
  });

  const settings = fc.record<ReviewSettings>({
    intervalDays: fc.integer({ min: 1, max: 366 }),
    graceDays: fc.integer({ min: 0, max: 90 }),
    dueWithinDays: fc.integer({ min: 0, max: 90 }),
  });
  const input = fc.record({
    createdAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
    nextReviewAt: fc.option(
      fc.date({ min: new Date('2020-01-01'), max: new Date('2031-01-01'), noInvalidDate: true }),
    ),
    retiredAt: fc.option(fc.constant(new Date('2025-01-01'))),
  });
  const instant = fc.date({ min: new Date('2019-01-01'), max: new Date('2032-01-01'), noInvalidDate: true });

  it('property: an entry applies (per the engine cut-off) exactly when it is neither lapsed nor retired', () => {
    fc.assert(
      fc.property(settings, input, instant, instant, (s, entry, expires, now) => {
        const view = reviewOf(entry, s, now);
        const end = effectiveExpiry(expires, entry, s);
        const applies = end !== null && now.getTime() < end.getTime();
        const live = now.getTime() < expires.getTime();
        expect(applies).toBe(live && view.state !== 'lapsed' && view.state !== 'retired');
      }),
    );
  });

  it('property: states move forward with time, and due never precedes current', () => {
    const order = ['current', 'due', 'overdue', 'lapsed'];
    fc.assert(
      fc.property(
        settings,
        input,
        instant,
        fc.integer({ min: 0, max: 1000 * DAY }),
        (s, entry, now, later) => {
          const a = reviewOf({ ...entry, retiredAt: null }, s, now);
          const b = reviewOf({ ...entry, retiredAt: null }, s, new Date(now.getTime() + later));
          expect(order.indexOf(b.state)).toBeGreaterThanOrEqual(order.indexOf(a.state));
          expect(a.lapsesAt.getTime() - a.nextReviewAt.getTime()).toBe(s.graceDays * DAY);
          expect(isDue(a)).toBe(a.state !== 'current');
        },
      ),
    );
  });

  it('refuses a renewal date in the past, past a year, or unreadable, and an empty comment', () => {
    const now = at(0);
    for (const bad of ['yesterday', at(-1).toISOString(), now.toISOString(), at(367).toISOString()]) {
      expect(() => renewalDate(bad, now)).toThrow(GatehouseError);
      try {
        renewalDate(bad, now);
      } catch (error) {
        expect((error as GatehouseError).code).toBe('WHITELIST_REVIEW_INVALID');
      }
    }
    expect(renewalDate(at(90).toISOString(), now)).toEqual(at(90));
    expect(() => reviewComment('   ')).toThrow(GatehouseError);
    expect(reviewComment('  checked usage  ')).toBe('checked usage');
  });
});

describe('blast radius', () => {
  it('grows with whom the entry reaches and how much it matches', () => {
    expect(blastRadius({ exact: true, agents: ['agt_1'] })).toBe('narrow');
    expect(blastRadius({ exact: true, agentTypes: ['ci'] })).toBe('moderate');
    expect(blastRadius({ exact: false, agents: ['agt_1'] })).toBe('moderate');
    expect(blastRadius({ exact: true })).toBe('wide');
    expect(blastRadius({ exact: false, environments: ['dev'] })).toBe('wide');
    // Limits combine: an agent limit narrows an entry that also names a type.
    expect(blastRadius({ exact: true, agents: ['agt_1'], agentTypes: ['ci'] })).toBe('narrow');
  });
});

describe('withoutWhitelist', () => {
  it('drops the policy file entries named and keeps the others; policyWhitelist round-trips', async () => {
    const policy = `extends: default
version: t1
defaultWhitelist: false
whitelist:
  - id: restart-nginx
    command: systemctl restart nginx
    expires: 2099-01-01
  - id: restart-api
    match: { program: [systemctl], first: [restart], args: { regex: '^api$' } }
    expires: 2099-01-01
`;
    const engine = await createRiskEngine(policy);
    const nginx = { kind: 'shell' as const, command: 'systemctl restart nginx' };
    const api = { kind: 'shell' as const, command: 'systemctl restart api' };
    expect(engine.assess(nginx)).toMatchObject({ tier: 'auto', whitelistedBy: 'restart-nginx' });
    expect(engine.assess(api)).toMatchObject({ tier: 'auto', whitelistedBy: 'restart-api' });

    const without = engine.withoutWhitelist(['restart-nginx']);
    expect(without.assess(nginx).tier).toBe('review');
    expect(without.assess(api).tier).toBe('auto');
    expect(engine.assess(nginx).tier).toBe('auto');
    expect(without.policyWhitelist().map((e) => e.id)).toEqual(['restart-api']);

    const data = engine.policyWhitelist();
    const rebuilt = engine.withoutWhitelist(data.map((e) => e.id)).withWhitelist(data);
    expect(rebuilt.assess(api)).toMatchObject({ tier: 'auto', whitelistedBy: 'restart-api' });
    expect(rebuilt.assess(nginx)).toMatchObject({ tier: 'auto', whitelistedBy: 'restart-nginx' });
  });
});

describe("the policy file's whitelistReview section", () => {
  it('is carried to the server, and a value out of range stops the load with its name', async () => {
    const engine = await createRiskEngine(
      'extends: default\nversion: r1\nwhitelistReview:\n  intervalDays: 30\n  graceDays: 0\n',
    );
    expect(engine.policy.whitelistReview).toEqual({ intervalDays: 30, graceDays: 0 });
    expect(reviewSettings(engine.policy.whitelistReview)).toEqual({
      intervalDays: 30,
      graceDays: 0,
      dueWithinDays: 14,
    });
    await expect(
      createRiskEngine('extends: default\nversion: r2\nwhitelistReview:\n  graceDays: 200\n'),
    ).rejects.toThrow(/whitelistReview.graceDays must be an integer from 0 to 90/);
    await expect(
      createRiskEngine('extends: default\nversion: r3\nwhitelistReview:\n  grace: 3\n'),
    ).rejects.toThrow(PolicyError);
  });
});
