import {
  AgentRequestView,
  ExecutionReportBody,
  ExportRequestsQuery,
  IdParams,
  ListRequestsQuery,
  PendingAnswer,
  SubmitRequestBody,
  VerdictAnswer,
  VerdictWaitQuery,
} from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { agentView } from '../lifecycle/view.ts';
import { exportHistory } from './export.ts';
import { listForPeople, requestDetail } from './history.ts';
import { consumeVerdict, getOwnRequest, reportExecution, submitRequest, waitForFinal } from './service.ts';

type Agent = Extract<Principal, { type: 'agent' }>;

/** The caller of a route guarded for agents only. */
function agentOf(request: FastifyRequest): Agent {
  const principal = principalOf(request);
  if (principal.type !== 'agent') throw new Error('agentOf on a route not guarded for agents');
  return principal;
}

export const requestRoutes: Routes = async (app, { rt }) => {
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
        body: SubmitRequestBody,
        response: { 201: AgentRequestView, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const row = await submitRequest(rt, agentOf(request), request.body);
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
        params: IdParams,
        querystring: VerdictWaitQuery,
        response: { 200: VerdictAnswer, 202: PendingAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { wait } = request.query;
      // A client that hangs up stops its wait: nobody is left to answer.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      const row = await waitForFinal(rt, agentOf(request), id, wait, signal);
      if (row.status === 'pending') return reply.status(202).send({ status: 'pending' });
      // A final request always carries its verdict (the lifecycle writes both at once).
      return reply.status(200).send({ status: row.status, verdict: row.verdict ?? '' });
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
        querystring: ListRequestsQuery,
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request) => listForPeople(rt, principalOf(request), request.query),
  );

  app.get(
    '/v1/requests/export',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['requests'],
        summary:
          'Everything the history filters select, as CSV (streamed, newest first; the same filters and rules as GET /v1/requests)',
        querystring: ExportRequestsQuery,
        response: {
          200: Type.Unknown({ description: 'text/csv: a header line, then one line per request' }),
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const csv = await exportHistory(rt, principalOf(request), request.query);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="gatehouse-requests-${stamp}.csv"`)
        .send(csv);
    },
  );

  app.get(
    '/v1/requests/:id',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin', 'agent'),
      schema: {
        tags: ['requests'],
        summary:
          'One request; for people with its agent, decisions, quorum progress, eligibility and similar requests',
        params: IdParams,
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
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
        params: IdParams,
        response: { 200: Type.Object({ consumed: Type.Literal(true) }), '4xx': errorSchema },
      },
    },
    async (request) => {
      await consumeVerdict(rt, agentOf(request), request.params.id);
      return { consumed: true as const };
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
        params: IdParams,
        body: ExecutionReportBody,
        response: { 201: Type.Object({ recorded: Type.Literal(true) }), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      await reportExecution(rt, agentOf(request), request.params.id, {
        exitCode: body.exitCode ?? null,
        durationMs: body.durationMs,
        ...(body.signal ? { signal: body.signal } : {}),
        ...(body.output ? { output: body.output } : {}),
      });
      return reply.status(201).send({ recorded: true as const });
    },
  );
};
