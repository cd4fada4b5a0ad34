import { REQUEST_STATUSES } from '@gatehouse/db';
import { SQL_DIALECTS } from '@gatehouse/risk';
import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { type ListQuery, listForPeople, requestDetail } from './history.ts';
import {
  consumeVerdict,
  type ExecutionReport,
  getOwnRequest,
  reportExecution,
  type SubmitInput,
  submitRequest,
  waitForFinal,
} from './service.ts';
import { agentView } from './view.ts';

type Agent = Extract<Principal, { type: 'agent' }>;

/** Largest command accepted; the body limit is the outer bound, this the useful one. */
export const MAX_COMMAND_LENGTH = 65_536;
export const MAX_WAIT_SECONDS = 60;

const shortText = { type: 'string', maxLength: 1024 } as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;

const reasonSchema = {
  type: 'object',
  properties: {
    rule: { type: 'string' },
    category: { type: 'string' },
    weight: { type: 'number' },
    detail: { type: 'string' },
    floor: { type: 'string' },
  },
} as const;

export async function requestRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  // Long-polls in flight end when the server starts closing, instead of holding it open.
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  app.post(
    '/v1/requests',
    {
      preHandler: guard(rt, 'agent'),
      schema: {
        tags: ['requests'],
        summary: 'Submit a command for a verdict',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'command'],
          properties: {
            kind: { type: 'string', enum: ['shell', 'sql'] },
            command: { type: 'string', minLength: 1, maxLength: MAX_COMMAND_LENGTH },
            dialect: {
              type: 'string',
              enum: [...SQL_DIALECTS],
            },
            context: {
              type: 'object',
              additionalProperties: false,
              properties: {
                cwd: shortText,
                host: { type: 'string', maxLength: 255 },
                database: { type: 'string', maxLength: 255 },
                environment: { type: 'string', maxLength: 32 },
                tool: { type: 'string', maxLength: 128 },
                justification: { type: 'string', maxLength: 4096 },
              },
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { type: 'string', enum: [...REQUEST_STATUSES] },
              tier: { type: 'string' },
              score: { type: 'number' },
              reasons: { type: 'array', items: reasonSchema },
              requiredApprovals: { type: 'integer' },
              deadline: { type: ['string', 'null'] },
              verdict: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const row = await submitRequest(rt, principalOf(request) as Agent, request.body as SubmitInput);
      return reply.status(201).send(agentView(row));
    },
  );

  app.get(
    '/v1/requests/:id/verdict',
    {
      preHandler: guard(rt, 'agent'),
      schema: {
        tags: ['requests'],
        summary: 'The verdict of an own request; waits up to `wait` seconds while it is pending',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 } },
        },
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, verdict: { type: 'string' } } },
          202: { type: 'object', properties: { status: { type: 'string' } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { wait } = request.query as { wait: number };
      // A client that hangs up stops its wait: nobody is left to answer.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      const row = await waitForFinal(rt, principalOf(request) as Agent, id, wait, signal);
      if (row.status === 'pending') return reply.status(202).send({ status: 'pending' });
      return { status: row.status, verdict: row.verdict };
    },
  );

  app.get(
    '/v1/requests',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['requests'],
        summary:
          'The queue (status=pending: by deadline then score, only what the caller may decide unless all=true) or the history (newest first), with filters, search and cursor pagination',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...REQUEST_STATUSES] },
            agent: { type: 'string', maxLength: 64 },
            tier: { type: 'string', enum: ['auto', 'review', 'multi_party', 'deny'] },
            decision: { type: 'string', enum: ['allow', 'deny'] },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            q: { type: 'string', minLength: 1, maxLength: 200 },
            cursor: { type: 'string', maxLength: 512 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            all: { type: 'boolean', default: false },
          },
        },
        response: { '4xx': errorSchema },
      },
    },
    async (request) => listForPeople(rt, principalOf(request), request.query as ListQuery),
  );

  app.get(
    '/v1/requests/:id',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin', 'agent'),
      schema: {
        tags: ['requests'],
        summary:
          'One request; for people with its agent, decisions, quorum progress, eligibility and similar requests',
        params: idParams,
        response: { '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const principal = principalOf(request);
      if (principal.type === 'agent') return agentView(await getOwnRequest(rt, principal, id));
      return requestDetail(rt, principal, id);
    },
  );

  app.post(
    '/v1/requests/:id/consume',
    {
      preHandler: guard(rt, 'agent'),
      schema: {
        tags: ['requests'],
        summary: 'Use an allow verdict (single use)',
        params: idParams,
        response: { '4xx': errorSchema },
      },
    },
    async (request) => {
      await consumeVerdict(rt, principalOf(request) as Agent, (request.params as { id: string }).id);
      return { consumed: true };
    },
  );

  app.post(
    '/v1/requests/:id/result',
    {
      preHandler: guard(rt, 'agent'),
      // Recordings are larger than other bodies; the recording itself is capped at 1 MiB.
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        tags: ['requests'],
        summary: 'Report how an allowed command ended, with its output as timestamped chunks',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['durationMs'],
          properties: {
            exitCode: { type: ['integer', 'null'], minimum: -1, maximum: 255 },
            signal: { type: 'string', maxLength: 32 },
            durationMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
            output: {
              type: 'object',
              additionalProperties: false,
              required: ['chunks', 'truncated'],
              properties: {
                truncated: { type: 'boolean' },
                chunks: {
                  type: 'array',
                  maxItems: 20_000,
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['t', 'stream', 'data'],
                    properties: {
                      t: { type: 'integer', minimum: 0 },
                      stream: { type: 'string', enum: ['stdout', 'stderr'] },
                      data: { type: 'string', maxLength: 1_048_576 },
                    },
                  },
                },
              },
            },
          },
        },
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as ExecutionReport;
      await reportExecution(rt, principalOf(request) as Agent, (request.params as { id: string }).id, {
        exitCode: body.exitCode ?? null,
        durationMs: body.durationMs,
        ...(body.signal ? { signal: body.signal } : {}),
        ...(body.output ? { output: body.output } : {}),
      });
      return reply.status(201).send({ recorded: true });
    },
  );
}
