import {
  SlackLinkBody,
  SlackLinkList,
  SlackLinkParams,
  SlackLinkView,
  SlackStatus,
  SlackTestAnswer,
  SlackTestBody,
} from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { GatehouseError } from '../errors.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import {
  deleteLink,
  handleInteraction,
  INTERACTIVITY_PATH,
  listLinks,
  sendSlackTest,
  setLink,
  slackStatus,
} from './service.ts';
import { verifySlackSignature } from './signature.ts';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export const slackRoutes: Routes = async (app, { rt }) => {
  // Slack posts interactions as a form; the signature covers the exact bytes, so this plugin's
  // routes get the raw body and parse it themselves once it is verified. Scoped to this plugin.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  app.post(
    INTERACTIVITY_PATH,
    {
      schema: {
        tags: ['slack'],
        summary:
          'Slack’s Interactivity Request URL: button clicks and modal submissions, signed by Slack (v0, signing secret)',
        // No bearer token: Slack's request signature is what authenticates the call.
        security: [],
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const cfg = rt.config.slack;
      if (!cfg) throw new GatehouseError('SLACK_NOT_CONFIGURED', 'Slack is not configured on this server');
      const raw = typeof request.body === 'string' ? request.body : '';
      const check = verifySlackSignature(
        cfg.signingSecret,
        {
          timestamp: header(request, 'x-slack-request-timestamp'),
          signature: header(request, 'x-slack-signature'),
        },
        raw,
      );
      if (!check.ok) {
        request.log.warn(
          { reason: check.reason, ip: request.ip },
          'Slack interaction refused: bad signature',
        );
        throw new GatehouseError('SLACK_SIGNATURE_INVALID', `not a valid Slack request: ${check.reason}`);
      }
      let payload: unknown;
      try {
        payload = JSON.parse(new URLSearchParams(raw).get('payload') ?? '');
      } catch {
        throw new GatehouseError('BAD_REQUEST', 'a Slack interaction carries a JSON `payload` form field');
      }
      if (payload === null || typeof payload !== 'object') {
        throw new GatehouseError('BAD_REQUEST', 'a Slack interaction carries a JSON `payload` form field');
      }
      const answer = await handleInteraction(rt, payload);
      return answer === undefined ? reply.status(200).send('') : reply.status(200).send(answer);
    },
  );

  const admin = guard(rt, 'admin');

  app.get(
    '/v1/slack',
    {
      preHandler: admin,
      schema: {
        tags: ['slack'],
        summary: 'Whether Slack is configured, and how requests are routed to channels',
        response: { 200: SlackStatus, '4xx': errorSchema },
      },
    },
    async () => slackStatus(rt),
  );

  app.post(
    '/v1/slack/test',
    {
      preValidation: async (request) => {
        request.body ??= {};
      },
      preHandler: admin,
      schema: {
        tags: ['slack'],
        summary: 'Post a sample message (to the default channel, or the one named)',
        body: SlackTestBody,
        response: { 200: SlackTestAnswer, '4xx': errorSchema },
      },
    },
    async (request) => sendSlackTest(rt, principalOf(request), request.body.channel),
  );

  app.get(
    '/v1/slack/links',
    {
      preHandler: admin,
      schema: {
        tags: ['slack'],
        summary: 'Slack members linked to Gatehouse people by an admin',
        response: { 200: SlackLinkList, '4xx': errorSchema },
      },
    },
    async () => ({ items: await listLinks(rt) }),
  );

  app.put(
    '/v1/slack/links',
    {
      preHandler: admin,
      schema: {
        tags: ['slack'],
        summary: 'Link a Slack member to a Gatehouse person (replaces an earlier link of that member)',
        body: SlackLinkBody,
        response: { 200: SlackLinkView, '4xx': errorSchema },
      },
    },
    async (request) => setLink(rt, principalOf(request), request.body.slackUserId, request.body.userId),
  );

  app.delete(
    '/v1/slack/links/:slackUserId',
    {
      preHandler: admin,
      schema: {
        tags: ['slack'],
        summary: 'Remove the link of a Slack member',
        params: SlackLinkParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await deleteLink(rt, principalOf(request), request.params.slackUserId);
      return reply.status(204).send(null);
    },
  );
};
