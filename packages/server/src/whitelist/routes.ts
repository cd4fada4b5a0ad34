import { IdParams, WhitelistPreviewAnswer, WhitelistPreviewBody } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { WhitelistLoader } from './loader.ts';
import { previewWhitelist } from './preview.ts';
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
};
