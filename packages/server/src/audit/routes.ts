import {
  AuditExportQuery,
  AuditKeys,
  AuditStatus,
  AuditVerifyBody,
  AuditVerifyReport,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import { GatehouseError } from '../errors.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { createCheckpoint } from './checkpoints.ts';
import { auditMetrics, auditStatus } from './continuous.ts';
import { exportStream, verifyLog } from './service.ts';

export const auditRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/audit/checkpoints',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary: 'Sign a checkpoint of the audit chains now',
        response: { 201: Unshaped, '4xx': errorSchema },
      },
    },
    async (_request, reply) => {
      const created = await createCheckpoint(rt.database.db, rt.keys, {
        force: true,
        witness: rt.audit.witness,
      });
      const failed = created?.witness?.failed ?? [];
      // The file is the witness verification reads: a checkpoint it lacks is not yet anchored.
      if (rt.audit.witness?.file && created?.witness && !created.witness.line) {
        throw new GatehouseError(
          'AUDIT_WITNESS_FAILED',
          `checkpoint ${created.seq} was stored, but ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
        );
      }
      const { witness: _outcome, ...payload } = created!;
      return reply.status(201).send({ ...payload, witnessed: failed.length === 0, witnessFailures: failed });
    },
  );

  app.get(
    '/v1/audit/status',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary:
          'The newest continuous verification (covered range, result, problems) and the witnesses of this server: what the console shows',
        response: { 200: AuditStatus, '4xx': errorSchema },
      },
    },
    async () => auditStatus(rt),
  );

  app.get(
    '/v1/audit/metrics',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary: 'Audit verification and witness metrics in the Prometheus text format',
        response: {
          200: {
            description: 'Prometheus text exposition',
            content: { 'text/plain': { schema: Type.String() } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (_request, reply) => reply.type('text/plain; version=0.0.4').send(await auditMetrics(rt)),
  );

  app.get(
    '/v1/audit/keys',
    {
      schema: {
        tags: ['audit'],
        summary: 'Public keys that sign audit checkpoints (record them out of band)',
        response: { 200: AuditKeys },
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
        body: AuditVerifyBody,
        response: { 200: AuditVerifyReport, '4xx': errorSchema },
      },
    },
    async (request) => verifyLog(rt, principalOf(request), request.body),
  );

  app.get(
    '/v1/audit/export',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['audit'],
        summary:
          'A verifiable slice of the audit log as JSON lines: header with the trusted keys, checkpoints, then the selected events with the chain segments that prove them',
        querystring: AuditExportQuery,
        response: {
          200: {
            description: 'one JSON object per line; check it offline with `gatehouse audit verify --file`',
            content: { 'application/x-ndjson': { schema: Type.String() } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { since, until, agent } = request.query;
      const filter = {
        since: since === undefined ? undefined : new Date(since),
        until: until === undefined ? undefined : new Date(until),
        agentId: agent,
      };
      // A stream of the lines the 200 schema describes; fastify pipes it, the type says string.
      const lines = exportStream(rt, principalOf(request), filter) as unknown as string;
      return reply.type('application/x-ndjson').send(lines);
    },
  );
};
