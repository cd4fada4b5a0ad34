import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { addMember, createGroup, type GroupInput, KINDS, listGroups, removeMember } from './service.ts';

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

const groupSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    environments: { type: 'array', items: { type: 'string' } },
    kinds: { type: 'array', items: { type: 'string' } },
    escalatesTo: { type: ['string', 'null'] },
    members: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' } } },
    },
    createdAt: { type: 'string' },
  },
} as const;

export async function groupRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get(
    '/v1/groups',
    {
      preHandler: guard(rt, 'admin', 'approver', 'auditor'),
      schema: {
        tags: ['groups'],
        summary: 'Approver groups with their scope, members and escalation target',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: groupSchema } } },
          '4xx': errorSchema,
        },
      },
    },
    async () => ({ items: await listGroups(rt) }),
  );

  app.post(
    '/v1/groups',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['groups'],
        summary: 'Create an approver group; environments and/or kinds make it scoped',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
            environments: {
              type: 'array',
              maxItems: 32,
              uniqueItems: true,
              items: { type: 'string', minLength: 1, maxLength: 32 },
            },
            kinds: { type: 'array', uniqueItems: true, items: { type: 'string', enum: [...KINDS] } },
            escalatesTo: id,
          },
        },
        response: { 201: groupSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createGroup(rt, principalOf(request), request.body as GroupInput)),
  );

  app.post(
    '/v1/groups/:id/members',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['groups'],
        summary: 'Add a person to a group',
        params: { type: 'object', properties: { id }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['userId'],
          properties: { userId: id },
        },
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id: groupId } = request.params as { id: string };
      const { userId } = request.body as { userId: string };
      return reply.status(201).send(await addMember(rt, principalOf(request), groupId, userId));
    },
  );

  app.delete(
    '/v1/groups/:id/members/:userId',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['groups'],
        summary: 'Remove a person from a group',
        params: { type: 'object', properties: { id, userId: id }, required: ['id', 'userId'] },
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id: groupId, userId } = request.params as { id: string; userId: string };
      await removeMember(rt, principalOf(request), groupId, userId);
      return reply.status(204).send();
    },
  );
}
