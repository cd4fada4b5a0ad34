import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { WhitelistLoader } from './loader.ts';
import { listWhitelist, revokeWhitelistEntry } from './service.ts';

/**
 * Whitelist entries added from decisions. Registering these routes also keeps this API
 * process's risk engine in step with the entries in the database.
 */
export async function whitelistRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  const loader = new WhitelistLoader(rt);
  await loader.start();
  app.addHook('onClose', async () => loader.stop());

  app.get(
    '/v1/whitelist',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'Whitelist entries added by approvers, with author and expiry',
        response: { '4xx': errorSchema },
      },
    },
    async () => ({ items: await listWhitelist(rt) }),
  );

  app.post(
    '/v1/whitelist/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['whitelist'],
        summary: 'Revoke a whitelist entry on every replica',
        params: {
          type: 'object',
          properties: { id: { type: 'string', maxLength: 64 } },
          required: ['id'],
        },
        response: { '4xx': errorSchema },
      },
    },
    async (request) => revokeWhitelistEntry(rt, principalOf(request), (request.params as { id: string }).id),
  );
}
