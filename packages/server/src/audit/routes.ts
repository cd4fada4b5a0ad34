import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { createCheckpoint } from './checkpoints.ts';
import { exportStream, verifyLog } from './service.ts';
import { PROBLEM_KINDS } from './verify.ts';

/** An RFC 3339 time with its offset, e.g. 2026-11-22T10:00:00Z. */
const timeSchema = { type: 'string', format: 'date-time', maxLength: 64 } as const;

const problemSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: PROBLEM_KINDS },
    id: { type: 'integer' },
    chain: { type: 'string' },
    seq: { type: 'integer' },
    checkpoint: { type: 'integer' },
    detail: { type: 'string' },
  },
  required: ['kind', 'detail'],
} as const;

const verifyReportSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    events: { type: 'integer' },
    chains: { type: 'integer' },
    checkpoints: { type: 'integer' },
    covered: {
      type: 'integer',
      description: 'events at or below a signed checkpoint head; the rest are linked but not yet vouched for',
    },
    problems: { type: 'array', items: problemSchema },
  },
  required: ['ok', 'events', 'chains', 'checkpoints', 'covered', 'problems'],
} as const;

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

  app.post(
    '/v1/audit/verify',
    {
      // It takes no options: a POST without a body is as good as `{}`, and unknown options are refused.
      preValidation: async (request) => {
        request.body ??= {};
      },
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary:
          'Walk every audit chain and signed checkpoint against the trusted audit keys (what `gatehouse audit verify` reports)',
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: { 200: verifyReportSchema, '4xx': errorSchema },
      },
    },
    async (request) => verifyLog(rt, principalOf(request)),
  );

  app.get(
    '/v1/audit/export',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary:
          'A verifiable slice of the audit log as JSON lines: header with the trusted keys, checkpoints, then the selected events with the chain segments that prove them',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: timeSchema,
            until: timeSchema,
            agent: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
        response: {
          200: {
            description: 'one JSON object per line; check it offline with `gatehouse audit verify --file`',
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { since?: string; until?: string; agent?: string };
      const filter = {
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
        agentId: query.agent,
      };
      return reply.type('application/x-ndjson').send(exportStream(rt, principalOf(request), filter));
    },
  );
}
