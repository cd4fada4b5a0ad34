import { IncidentBundle, IncidentExportBody } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { incidentBundle } from './service.ts';

export const incidentRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/incidents/export',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['evidence'],
        summary:
          "One agent's record since a time (agent, requests with verdicts, decisions, executions, recordings, sessions, audit slice) with a manifest of SHA-256 digests",
        body: IncidentExportBody,
        response: { 200: IncidentBundle, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { agent, since } = request.body;
      return incidentBundle(rt, principalOf(request), { agentId: agent, since: new Date(since) });
    },
  );
};
