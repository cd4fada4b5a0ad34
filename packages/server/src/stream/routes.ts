import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateRequest, guard, principalOf } from '../auth/authenticate.ts';
import { hasRole, type Principal } from '../auth/principal.ts';
import type { LiveEvent } from '../platform/events.ts';
import type { Runtime } from '../platform/runtime.ts';
import { assertSameOrigin } from '../web-auth/origin.ts';

/** How often a person's live channel re-checks that their session or token is still good. */
const RECHECK_MS = 5_000;

/** Which live events a connection may see: agents only their own; people per their role. */
export function visibleTo(principal: Principal, event: LiveEvent): boolean {
  if (event.type === 'keys.rotated') return false;
  if (principal.type === 'agent')
    return event.agentId === principal.id && event.type !== 'approval.requested';
  if (event.type === 'verdict.ready') return false;
  if (event.type === 'approval.requested') return event.data.approvers.includes(principal.id);
  return hasRole(principal, 'approver') || hasRole(principal, 'auditor') || hasRole(principal, 'admin');
}

export async function streamRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get(
    '/v1/stream',
    {
      websocket: true,
      preValidation: [
        guard(rt, 'approver', 'auditor', 'admin', 'agent'),
        async (request: FastifyRequest) => {
          if (request.webSession) assertSameOrigin(rt, request);
        },
      ],
      schema: {
        tags: ['live'],
        summary: 'WebSocket of live events (request created/updated, verdict ready)',
      },
    },
    (socket, request) => {
      const principal = principalOf(request);
      const send = (event: LiveEvent) => {
        if (socket.readyState === socket.OPEN && visibleTo(principal, event))
          socket.send(JSON.stringify(event));
      };
      const unsubscribe = rt.bus.subscribe(send);
      // A revoked session loses its live channel too, within the revocation interval.
      const watch =
        principal.type === 'agent'
          ? setInterval(() => {
              if (rt.revocations.isRevoked(principal.id, principal.sessionId))
                socket.close(4401, 'session revoked');
            }, 250)
          : principal.type === 'user'
            ? // A person logged out, idle, disabled or whose token was revoked loses it as well.
              setInterval(() => {
                // Re-checking is not activity: an open tab alone does not keep a session from going idle.
                authenticateRequest(rt, request, { activity: false }).then(
                  (current) => {
                    if (current.id !== principal.id) socket.close(4401, 'signed out');
                  },
                  () => socket.close(4401, 'signed out'),
                );
              }, RECHECK_MS)
            : undefined;
      socket.on('close', () => {
        unsubscribe();
        clearInterval(watch);
      });
      socket.on('message', () => {
        // The stream is one-way; clients have nothing to say on it.
      });
      socket.send(
        JSON.stringify({ type: 'hello', data: { principal: { type: principal.type, id: principal.id } } }),
      );
    },
  );
}
