import {
  CreateWebhookBody,
  DeliveryList,
  DeliveryParams,
  DeliveryQuery,
  DeliveryQueued,
  RotateSecretBody,
  SecretRotated,
  UpdateWebhookBody,
  WEBHOOK_EVENTS,
  WebhookCreated,
  WebhookEventCatalogue,
  WebhookList,
  WebhookParams,
  WebhookView,
} from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  replayDelivery,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
} from './service.ts';

const NoOptions = Type.Object({}, { additionalProperties: false });
/** Calls that take no options: a POST without a body is as good as `{}`. */
const bodyOptional = async (request: FastifyRequest) => {
  request.body ??= {};
};

export const webhookRoutes: Routes = async (app, { rt }) => {
  const admin = guard(rt, 'admin');
  const tags = ['webhooks'];

  app.get(
    '/v1/webhooks/events',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'The event types an endpoint can subscribe to',
        response: { 200: WebhookEventCatalogue, '4xx': errorSchema },
      },
    },
    async () => ({
      items: Object.entries(WEBHOOK_EVENTS).map(([type, { summary }]) => ({ type, summary })),
    }),
  );

  app.get(
    '/v1/webhooks',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Webhook endpoints with their delivery counts (never their secrets)',
        response: { 200: WebhookList, '4xx': errorSchema },
      },
    },
    async () => ({ items: await listEndpoints(rt) }),
  );

  app.post(
    '/v1/webhooks',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Register an endpoint; its signing secret is in this answer only',
        body: CreateWebhookBody,
        response: { 201: WebhookCreated, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createEndpoint(rt, principalOf(request), request.body)),
  );

  app.get(
    '/v1/webhooks/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'One endpoint',
        params: WebhookParams,
        response: { 200: WebhookView, '4xx': errorSchema },
      },
    },
    async (request) => getEndpoint(rt, request.params.id),
  );

  app.patch(
    '/v1/webhooks/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Change the events, description, or switch deliveries off and on',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: WebhookView, '4xx': errorSchema },
      },
    },
    async (request) => updateEndpoint(rt, principalOf(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Delete an endpoint (its delivery log is kept)',
        params: WebhookParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await deleteEndpoint(rt, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      preValidation: bodyOptional,
      preHandler: admin,
      schema: {
        tags,
        summary: 'New signing secret (shown once); the old one also signs during the overlap',
        params: WebhookParams,
        body: RotateSecretBody,
        response: { 200: SecretRotated, '4xx': errorSchema },
      },
    },
    async (request) => rotateSecret(rt, principalOf(request), request.params.id, request.body.overlapSeconds),
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      preValidation: bodyOptional,
      preHandler: admin,
      schema: {
        tags,
        summary: 'Send a signed `webhook.test` event to this endpoint',
        params: WebhookParams,
        body: NoOptions,
        response: { 202: DeliveryQueued, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await sendTestEvent(rt, principalOf(request), request.params.id)),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'The delivery log: status, attempts, latency, newest first',
        params: WebhookParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryList, '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await listDeliveries(rt, request.params.id, request.query) }),
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/replay',
    {
      preValidation: bodyOptional,
      preHandler: admin,
      schema: {
        tags,
        summary: 'Send a delivery again (same message id, new attempts)',
        params: DeliveryParams,
        body: NoOptions,
        response: { 202: DeliveryQueued, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await replayDelivery(rt, principalOf(request), request.params.id, request.params.deliveryId)),
  );
};
