import { ERRORS } from '@gatehouse/contract';
import { describe, expect, it } from 'vitest';
import {
  eligibleGroups,
  escalationGroups,
  groupMatches,
  inScope,
  type ScopedGroup,
} from '../src/lifecycle/eligibility.ts';
import { commentRequired, ineligibility } from '../src/lifecycle/quorum.ts';
import { escalationDue } from '../src/lifecycle/schedule.ts';
import { containsPattern, decodeCursor, encodeCursor } from '../src/requests/cursor.ts';
import { whitelistRecord } from '../src/whitelist/entry.ts';

/** A refusal with the HTTP status the error catalogue gives its code. */
const statusOf = (refusal: { code: keyof typeof ERRORS } | undefined) =>
  refusal && { status: ERRORS[refusal.code].status, code: refusal.code };

const dbas: ScopedGroup = { id: 'dba', environments: ['prod'], kinds: ['sql'], escalatesTo: 'leads' };
const prodOps: ScopedGroup = { id: 'ops', environments: ['prod'], kinds: null, escalatesTo: null };
const leads: ScopedGroup = { id: 'leads', environments: null, kinds: null, escalatesTo: null };
const groups = [dbas, prodOps, leads];

const sqlProd = { kind: 'sql', environment: 'prod', escalated: false };
const shellProd = { kind: 'shell', environment: 'prod', escalated: false };
const sqlDev = { kind: 'sql', environment: 'dev', escalated: false };

describe('group scope', () => {
  it('matches on every named dimension; an unscoped group matches nothing', () => {
    expect(groupMatches(dbas, sqlProd)).toBe(true);
    expect(groupMatches(dbas, shellProd)).toBe(false);
    expect(groupMatches(dbas, sqlDev)).toBe(false);
    expect(groupMatches(dbas, { ...sqlProd, environment: null })).toBe(false);
    expect(groupMatches(prodOps, shellProd)).toBe(true);
    expect(groupMatches(leads, sqlProd)).toBe(false);
  });

  it('restricts a matching request to the matching groups, and leaves others open', () => {
    expect(eligibleGroups(sqlProd, groups)).toEqual({ restricted: true, groupIds: ['dba', 'ops'] });
    expect(eligibleGroups(shellProd, groups)).toEqual({ restricted: true, groupIds: ['ops'] });
    expect(eligibleGroups(sqlDev, groups)).toEqual({ restricted: false, groupIds: [] });
    expect(inScope(eligibleGroups(sqlDev, groups), [])).toBe(true);
    expect(inScope(eligibleGroups(sqlProd, groups), ['leads'])).toBe(false);
    expect(inScope(eligibleGroups(sqlProd, groups), ['dba'])).toBe(true);
  });

  it('adds the escalation groups once escalated, one step only', () => {
    const chained = [dbas, { ...leads, escalatesTo: 'cto' }, { ...leads, id: 'cto' }];
    expect(eligibleGroups({ ...sqlProd, escalated: true }, chained).groupIds).toEqual(['dba', 'leads']);
    expect(escalationGroups(sqlProd, chained)).toEqual(['leads']);
    expect(escalationGroups(shellProd, groups)).toEqual([]);
  });

  it('escalates at two thirds of the lifetime', () => {
    const created = new Date('2030-01-01T00:00:00Z');
    expect(escalationDue(created, new Date('2030-01-01T00:15:00Z')).toISOString()).toBe(
      '2030-01-01T00:10:00.000Z',
    );
  });
});

describe('ineligibility with scope', () => {
  const base = {
    approver: { id: 'u1', roles: ['approver'], groups: ['leads'] },
    request: { status: 'pending', deadline: null, ownerUserId: 'owner' },
    decisions: [],
    now: new Date(),
  };

  it('refuses people outside the matching groups with NOT_ELIGIBLE', () => {
    expect(statusOf(ineligibility({ ...base, scope: eligibleGroups(sqlProd, groups) }))).toEqual({
      status: 403,
      code: 'NOT_ELIGIBLE',
    });
    expect(ineligibility({ ...base, scope: eligibleGroups({ ...sqlProd, escalated: true }, groups) })).toBe(
      undefined,
    );
    expect(ineligibility({ ...base, scope: eligibleGroups(sqlDev, groups) })).toBeUndefined();
  });

  it('never lets the owner decide, even as a member of the matching group', () => {
    const owner = { ...base, approver: { id: 'owner', roles: ['approver'], groups: ['dba'] } };
    expect(ineligibility({ ...owner, scope: eligibleGroups(sqlProd, groups) })?.code).toBe('SELF_APPROVAL');
  });
});

describe('decision rules', () => {
  it('requires a comment for every reject and every multi-party approval', () => {
    expect(commentRequired('review', 'approve')).toBe(false);
    expect(commentRequired('review', 'reject')).toBe(true);
    expect(commentRequired('multi_party', 'approve')).toBe(true);
  });

  it('validates an approve-and-whitelist entry', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const source = { agentId: 'agt_1', agentType: 'ci', environment: null };
    const ok = whitelistRecord(
      'wle_1',
      'shell',
      { pattern: ' systemctl restart nginx ', expiresAt: '2030-02-01T00:00:00Z', reason: 'routine' },
      now,
      source,
    );
    expect(ok).toMatchObject({ command: 'systemctl restart nginx', match: null, kind: 'shell' });
    const bad = (input: Partial<Parameters<typeof whitelistRecord>[2]>) => () =>
      whitelistRecord(
        'wle_2',
        'shell',
        { pattern: 'x', expiresAt: '2030-02-01T00:00:00Z', reason: 'r', ...input },
        now,
        source,
      );
    expect(bad({ expiresAt: '2029-12-31T00:00:00Z' })).toThrow(/future/);
    expect(bad({ expiresAt: '2031-06-01T00:00:00Z' })).toThrow(/one year/);
    expect(bad({ reason: '   ' })).toThrow(/reason/);
    expect(bad({ pattern: { program: ['systemctl'] } })()).toMatchObject({
      match: { program: ['systemctl'] },
    });
  });
});

describe('cursors and search', () => {
  it('round-trips and refuses forged cursors', () => {
    const key = { t: '2030-01-01T00:00:00.123456Z', s: 45, id: 'req_1' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(() => decodeCursor('not-a-cursor')).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from('{"t":"x","id":"a"}').toString('base64url'))).toThrow();
  });

  it('escapes LIKE wildcards', () => {
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
