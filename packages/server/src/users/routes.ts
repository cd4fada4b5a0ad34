import {
  CreateTokenBody,
  IdentityIdParams,
  PasswordSet,
  TokenCreated,
  TokenList,
  TokenRevoked,
  UserCreated,
  UserDisabled,
  UserList,
  UserRoles,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../web-auth/password.ts';
import { createToken, disableUser, listTokens, listUsers, revokeToken, setPassword } from './admin.ts';
import { createUser } from './service.ts';

// The password limits are the server's (web-auth/password.ts), so these bodies are declared here.
const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH });

const CreateUserBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.Optional(Password),
    roles: UserRoles,
  },
  { additionalProperties: false },
);

const SetPasswordBody = Type.Object({ password: Password }, { additionalProperties: false });

export const userRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/users',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Create a user; the personal API token is shown once',
        body: CreateUserBody,
        response: { 201: UserCreated, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createUser(rt, principalOf(request), request.body)),
  );

  app.get(
    '/v1/users',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'List people with their roles, approver groups and status',
        response: { 200: UserList, '4xx': errorSchema },
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
        params: IdentityIdParams,
        response: { 200: UserDisabled, '4xx': errorSchema },
      },
    },
    async (request) => disableUser(rt, principalOf(request), request.params.id),
  );

  app.post(
    '/v1/users/:id/password',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: "Set a local password (at least 12 characters); ends the person's sessions",
        params: IdentityIdParams,
        body: SetPasswordBody,
        response: { 200: PasswordSet, '4xx': errorSchema },
      },
    },
    async (request) => setPassword(rt, principalOf(request), request.params.id, request.body.password),
  );

  app.get(
    '/v1/users/:id/tokens',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: "A person's personal API tokens (never the token values)",
        params: IdentityIdParams,
        response: { 200: TokenList, '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await listTokens(rt, request.params.id) }),
  );

  app.post(
    '/v1/users/:id/tokens',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Create a personal API token; it is shown once',
        params: IdentityIdParams,
        body: CreateTokenBody,
        response: { 201: TokenCreated, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createToken(rt, principalOf(request), request.params.id, request.body.name)),
  );

  app.post(
    '/v1/tokens/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Revoke a personal API token',
        params: IdentityIdParams,
        response: { 200: TokenRevoked, '4xx': errorSchema },
      },
    },
    async (request) => revokeToken(rt, principalOf(request), request.params.id),
  );
};
