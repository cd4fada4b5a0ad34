import {
  IdParams,
  RenewWhitelistBody,
  RetireWhitelistBody,
  WhitelistGovernanceAnswer,
  WhitelistPreviewAnswer,
  WhitelistPreviewBody,
  WhitelistReviewAnswer,
  WhitelistReviewQuery,
} from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { listGoverned } from './governance.ts';
import { WhitelistLoader } from './loader.ts';
import { previewWhitelist } from './preview.ts';
import { reviewSettings } from './review.ts';
import { renewEntry, retireEntry } from './review-service.ts';
import { listWhitelist, revokeWhitelistEntry } from './service.ts';

/**
 * Whitelist entries added from decisions. Registering these routes also keeps this API
 * process's risk engine in step with the entries in the database.
 */
export const whitelistRoutes: Routes = async (app, { rt }) => {
  const loader = new WhitelistLoader(rt);
  await loader.start();
  app.addHook('onClose', async () => loader.stop());

  app.get(
    '/v1/whitelist',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'Whitelist entries added by approvers, with author, scope and expiry',
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async () => ({ items: await listWhitelist(rt) }),
  );

  // Only approvers: the preview is the first half of "approve and whitelist", which only they can do.
  app.post(
    '/v1/requests/:id/whitelist/preview',
    {
      preHandler: guard(rt, 'approver'),
      schema: {
        tags: ['whitelist'],
        summary:
          "What a candidate whitelist entry would do to this request's command, for its agent and environment, before it is saved",
        params: IdParams,
        body: WhitelistPreviewBody,
        response: { 200: WhitelistPreviewAnswer, '4xx': errorSchema },
      },
    },
    async (request) => previewWhitelist(rt, request.params.id, request.body),
  );

  app.post(
    '/v1/whitelist/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'Revoke a whitelist entry on every replica',
        params: IdParams,
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request) => revokeWhitelistEntry(rt, principalOf(request), request.params.id),
  );

  // Whitelist governance: approvers may read; security reviewers (auditors) and admins review.
  app.get(
    '/v1/whitelist/governance',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary:
          'Every whitelist entry (policy file and added) with the tier it lowers, blast radius, author, reason, expiry, hits and review',
        response: { 200: WhitelistGovernanceAnswer, '4xx': errorSchema },
      },
    },
    async () => listGoverned(rt),
  );

  app.get(
    '/v1/whitelist/review',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'The review queue: entries whose review date passed or is near, with their hits',
        querystring: WhitelistReviewQuery,
        response: { 200: WhitelistGovernanceAnswer, '4xx': errorSchema },
      },
    },
    async (request) =>
      listGoverned(rt, {
        dueWithinDays:
          request.query.withinDays ?? reviewSettings(rt.policyEngine.policy.whitelistReview).dueWithinDays,
      }),
  );

  app.post(
    '/v1/whitelist/:id/renew',
    {
      preHandler: guard(rt, 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'Renew a whitelist entry after review: a new review date and what the reviewer checked',
        params: IdParams,
        body: RenewWhitelistBody,
        response: { 200: WhitelistReviewAnswer, '4xx': errorSchema },
      },
    },
    async (request) => renewEntry(rt, principalOf(request), request.params.id, request.body),
  );

  app.post(
    '/v1/whitelist/:id/retire',
    {
      preHandler: guard(rt, 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary:
          'Retire a whitelist entry on every replica (a policy-file entry stays retired while the file lists it)',
        params: IdParams,
        body: RetireWhitelistBody,
        response: { 200: WhitelistReviewAnswer, '4xx': errorSchema },
      },
    },
    async (request) => retireEntry(rt, principalOf(request), request.params.id, request.body),
  );
};
