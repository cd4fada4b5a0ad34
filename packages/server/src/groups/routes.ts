import {
  AddMemberBody,
  CreateGroupBody,
  GroupList,
  GroupMemberParams,
  GroupView,
  IdentityIdParams,
  MemberAdded,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { addMember, createGroup, listGroups, removeMember } from './service.ts';

export const groupRoutes: Routes = async (app, { rt }) => {
  app.get(
    '/v1/groups',
    {
      preHandler: guard(rt, 'admin', 'approver', 'auditor'),
      schema: {
        tags: ['groups'],
        summary: 'Approver groups with their scope, members and escalation target',
        response: { 200: GroupList, '4xx': errorSchema },
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
        body: CreateGroupBody,
        response: { 201: GroupView, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createGroup(rt, principalOf(request), request.body)),
  );

  app.post(
    '/v1/groups/:id/members',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['groups'],
        summary: 'Add a person to a group',
        params: IdentityIdParams,
        body: AddMemberBody,
        response: { 201: MemberAdded, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await addMember(rt, principalOf(request), request.params.id, request.body.userId)),
  );

  app.delete(
    '/v1/groups/:id/members/:userId',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['groups'],
        summary: 'Remove a person from a group',
        params: GroupMemberParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await removeMember(rt, principalOf(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );
};
