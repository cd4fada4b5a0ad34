import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { ROLES, type Role } from '../auth/principal.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../web-auth/password.ts';
import { createToken, disableUser, listTokens, listUsers, revokeToken, setPassword } from './admin.ts';
import { createUser } from './service.ts';

const passwordSchema = {
  type: 'string',
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_LENGTH,
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const userView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    groups: { type: 'array', items: { type: 'string' } },
    source: { type: 'string' },
    hasPassword: { type: 'boolean' },
    createdAt: { type: 'string' },
    disabledAt: { type: ['string', 'null'] },
  },
} as const;
const tokenView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

export async function userRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.post(
    '/v1/users',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Create a user; the personal API token is shown once',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'roles'],
          properties: {
            email: { type: 'string', format: 'email', maxLength: 254 },
            password: passwordSchema,
            roles: {
              type: 'array',
              items: { type: 'string', enum: [...ROLES] },
              minItems: 1,
              maxItems: 3,
              uniqueItems: true,
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              email: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
              token: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { email: string; roles: Role[]; password?: string };
      return reply.status(201).send(await createUser(rt, principalOf(request), body));
    },
  );

  app.get(
    '/v1/users',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'List people with their roles, approver groups and status',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: userView } } },
          '4xx': errorSchema,
        },
      },
    },
    async () => ({ items: await listUsers(rt) }),
  );

  app.post(
    '/v1/users/:id/disable',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Disable a person: their sessions end and their tokens stop working',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, disabledAt: { type: 'string' } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => disableUser(rt, principalOf(request), (request.params as { id: string }).id),
  );

  app.post(
    '/v1/users/:id/password',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: "Set a local password (at least 12 characters); ends the person's sessions",
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['password'],
          properties: { password: passwordSchema },
        },
        response: { 200: { type: 'object', properties: { id: { type: 'string' } } }, '4xx': errorSchema },
      },
    },
    async (request) =>
      setPassword(
        rt,
        principalOf(request),
        (request.params as { id: string }).id,
        (request.body as { password: string }).password,
      ),
  );

  app.get(
    '/v1/users/:id/tokens',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: "A person's personal API tokens (never the token values)",
        params: idParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: tokenView } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => ({ items: await listTokens(rt, (request.params as { id: string }).id) }),
  );

  app.post(
    '/v1/users/:id/tokens',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Create a personal API token; it is shown once',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              name: { type: 'string' },
              userId: { type: 'string' },
              token: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await createToken(
            rt,
            principalOf(request),
            (request.params as { id: string }).id,
            (request.body as { name: string }).name,
          ),
        ),
  );

  app.post(
    '/v1/tokens/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Revoke a personal API token',
        params: idParams,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, revokedAt: { type: 'string' } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => revokeToken(rt, principalOf(request), (request.params as { id: string }).id),
  );
}
