import type { FastifyInstance } from 'fastify';
import { guard } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { createCheckpoint } from './checkpoints.ts';

export async function auditRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.post(
    '/v1/audit/checkpoints',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary: 'Sign a checkpoint of the audit chains now',
        response: { '4xx': errorSchema },
      },
    },
    async (_request, reply) =>
      reply.status(201).send(await createCheckpoint(rt.database.db, rt.keys, { force: true })),
  );

  app.get(
    '/v1/audit/keys',
    {
      schema: {
        tags: ['audit'],
        summary: 'Public keys that sign audit checkpoints (record them out of band)',
      },
    },
    async () => ({ keys: await rt.keys.trustedPublicKeys('audit') }),
  );
}
