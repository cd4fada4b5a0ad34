import {
  ConnectionGrantList,
  ConnectionGrantParams,
  ConnectionGrantView,
  ConnectionList,
  ConnectionParams,
  ConnectionView,
  CreateConnectionBody,
  CreateConnectionGrantBody,
  UpdateConnectionBody,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import {
  createConnection,
  deleteConnection,
  getConnection,
  grantConnection,
  listConnections,
  listGrants,
  revokeGrant,
  updateConnection,
} from './service.ts';

export const connectionRoutes: Routes = async (app, { rt }) => {
  const admin = guard(rt, 'admin');
  const tags = ['connections'];

  app.get(
    '/v1/connections',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Registered database targets (never their logins)',
        response: { 200: ConnectionList, '4xx': errorSchema },
      },
    },
    async () => ({ items: await listConnections(rt) }),
  );

  app.post(
    '/v1/connections',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Register a target; its login is sealed at rest and never returned',
        body: CreateConnectionBody,
        response: { 201: ConnectionView, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createConnection(rt, principalOf(request), request.body)),
  );

  app.get(
    '/v1/connections/:name',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'One connection',
        params: ConnectionParams,
        response: { 200: ConnectionView, '4xx': errorSchema },
      },
    },
    async (request) => getConnection(rt, request.params.name),
  );

  app.patch(
    '/v1/connections/:name',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Change the address, the login or the description',
        params: ConnectionParams,
        body: UpdateConnectionBody,
        response: { 200: ConnectionView, '4xx': errorSchema },
      },
    },
    async (request) => updateConnection(rt, principalOf(request), request.params.name, request.body),
  );

  app.delete(
    '/v1/connections/:name',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Delete a connection and its grants',
        params: ConnectionParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await deleteConnection(rt, principalOf(request), request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/connections/:name/grants',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Agents and agent types that may submit statements for this connection',
        params: ConnectionParams,
        response: { 200: ConnectionGrantList, '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await listGrants(rt, request.params.name) }),
  );

  app.post(
    '/v1/connections/:name/grants',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Grant the connection to an agent (agentId) or to every agent of a type (agentType)',
        params: ConnectionParams,
        body: CreateConnectionGrantBody,
        response: { 201: ConnectionGrantView, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await grantConnection(rt, principalOf(request), request.params.name, request.body)),
  );

  app.delete(
    '/v1/connections/:name/grants/:grantId',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Revoke a grant',
        params: ConnectionGrantParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await revokeGrant(rt, principalOf(request), request.params.name, request.params.grantId);
      return reply.status(204).send(null);
    },
  );
};
