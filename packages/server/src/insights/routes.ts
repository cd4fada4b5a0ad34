import {
  AcknowledgeBody,
  AutoApprovalAnswer,
  AutoApprovalQuery,
  DriftAlarm,
  DriftAnswer,
  DriftQuery,
  IdParams,
  InsightSummary,
  MixAnswer,
  MixQuery,
  SummaryQuery,
} from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { acknowledgeAlarm, autoApproval, insightMix, insightSummary, listAlarms } from './service.ts';

/**
 * The security console: auto-approval rates, the request mix and the drift alarms, read
 * from the rollups. Security reviewers (auditors) and admins read and acknowledge;
 * approvers may read; agents may not.
 */
export const insightRoutes: Routes = async (app, { rt }) => {
  const readers = guard(rt, 'approver', 'auditor', 'admin');

  app.get(
    '/v1/insights/auto-approval',
    {
      preHandler: readers,
      schema: {
        tags: ['insights'],
        summary:
          'Auto-approval rate per hour, day or week (UTC), overall or split by agent type, environment or agent',
        querystring: AutoApprovalQuery,
        response: { 200: AutoApprovalAnswer, '4xx': errorSchema },
      },
    },
    async (request) => autoApproval(rt, request.query),
  );

  app.get(
    '/v1/insights/summary',
    {
      preHandler: readers,
      schema: {
        tags: ['insights'],
        summary:
          'Tier mix, outcomes of pending requests, time to decision, top auto-approved command families, whitelist entries and risk reasons',
        querystring: SummaryQuery,
        response: { 200: InsightSummary, '4xx': errorSchema },
      },
    },
    async (request) => insightSummary(rt, request.query),
  );

  app.get(
    '/v1/insights/mix',
    {
      preHandler: readers,
      schema: {
        tags: ['insights'],
        summary:
          'Per hour, day or week (UTC): the tier mix, the outcomes of requests sent to people, and time to decision p50/p90',
        querystring: MixQuery,
        response: { 200: MixAnswer, '4xx': errorSchema },
      },
    },
    async (request) => insightMix(rt, request.query),
  );

  app.get(
    '/v1/insights/drift',
    {
      preHandler: readers,
      schema: {
        tags: ['insights'],
        summary: 'Auto-approval drift alarms per agent type × environment, and the thresholds in force',
        querystring: DriftQuery,
        response: { 200: DriftAnswer, '4xx': errorSchema },
      },
    },
    async (request) => listAlarms(rt, request.query.state),
  );

  app.post(
    '/v1/insights/drift/:id/acknowledge',
    {
      preHandler: guard(rt, 'auditor', 'admin'),
      schema: {
        tags: ['insights'],
        summary: 'Acknowledge a drift alarm with what the reviewer found (audited)',
        params: IdParams,
        body: AcknowledgeBody,
        response: { 200: DriftAlarm, '4xx': errorSchema },
      },
    },
    async (request) => acknowledgeAlarm(rt, principalOf(request), request.params.id, request.body.comment),
  );
};
