import { ERRORS } from '@gatehouse/contract';
import { describe, expect, it } from 'vitest';
import { evaluateQuorum, ineligibility, requiredApprovals } from '../src/lifecycle/quorum.ts';

/** A refusal with the HTTP status the error catalogue gives its code. */
const statusOf = (refusal: { code: keyof typeof ERRORS } | undefined) =>
  refusal && { status: ERRORS[refusal.code].status, code: refusal.code };

describe('quorum', () => {
  it('requires one approval for review, two for multi-party, none otherwise', () => {
    expect(requiredApprovals('review')).toBe(1);
    expect(requiredApprovals('multi_party')).toBe(2);
    expect(requiredApprovals('auto')).toBe(0);
    expect(requiredApprovals('deny')).toBe(0);
  });

  it('counts distinct people', () => {
    const twiceBySame = evaluateQuorum(2, [
      { userId: 'a', decision: 'approve' },
      { userId: 'a', decision: 'approve' },
    ]);
    expect(twiceBySame).toMatchObject({ status: 'pending', approvals: 1, approvers: ['a'] });
    expect(
      evaluateQuorum(2, [
        { userId: 'a', decision: 'approve' },
        { userId: 'b', decision: 'approve' },
      ]),
    ).toMatchObject({
      status: 'approved',
      approvals: 2,
      approvers: ['a', 'b'],
    });
  });

  it('rejects on one reject, whatever the approvals', () => {
    const decisions = [
      { userId: 'a', decision: 'approve' as const },
      { userId: 'b', decision: 'approve' as const },
      { userId: 'c', decision: 'reject' as const },
    ];
    expect(evaluateQuorum(2, decisions).status).toBe('rejected');
    expect(evaluateQuorum(1, [{ userId: 'c', decision: 'reject' }]).status).toBe('rejected');
  });

  it('never approves with a zero requirement', () => {
    expect(evaluateQuorum(0, [{ userId: 'a', decision: 'approve' }]).status).toBe('pending');
  });
});

describe('eligibility', () => {
  const now = new Date('2026-11-22T10:00:00Z');
  const base = {
    approver: { id: 'u1', roles: ['approver'] },
    request: { status: 'pending', deadline: new Date('2026-11-22T10:15:00Z'), ownerUserId: 'owner' },
    decisions: [],
    now,
  };

  it('lets an approver decide a pending request before its deadline', () => {
    expect(ineligibility(base)).toBeUndefined();
  });

  it('refuses the owner of the agent', () => {
    expect(ineligibility({ ...base, approver: { id: 'owner', roles: ['approver', 'admin'] } })?.code).toBe(
      'SELF_APPROVAL',
    );
  });

  it('refuses people without the approver role', () => {
    expect(ineligibility({ ...base, approver: { id: 'u1', roles: ['admin', 'auditor'] } })?.code).toBe(
      'NOT_AN_APPROVER',
    );
  });

  it('refuses final requests, late decisions and second votes with 409', () => {
    expect(statusOf(ineligibility({ ...base, request: { ...base.request, status: 'approved' } }))).toEqual({
      status: 409,
      code: 'REQUEST_FINAL',
    });
    expect(statusOf(ineligibility({ ...base, now: new Date('2026-11-22T10:15:00Z') }))).toEqual({
      status: 409,
      code: 'REQUEST_EXPIRED',
    });
    expect(statusOf(ineligibility({ ...base, decisions: [{ userId: 'u1', decision: 'approve' }] }))).toEqual({
      status: 409,
      code: 'ALREADY_DECIDED',
    });
  });
});
