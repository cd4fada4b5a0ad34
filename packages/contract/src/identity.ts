import { type Static, Type } from 'typebox';

/** Longest session an agent can ask for: session-scoped credentials live minutes, at most an hour. */
export const MAX_SESSION_TTL_SECONDS = 3600;

/** Same limit as `context.environment` of a request. */
const Environment = Type.String({ minLength: 1, maxLength: 32 });

export const CreateAgentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    environments: Type.Optional(
      Type.Array(Environment, {
        minItems: 1,
        maxItems: 16,
        description:
          'Environments the agent may act in; the first is used when a request names none. Omit to let the agent state its own.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateAgentBody = Static<typeof CreateAgentBody>;

export const AgentCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]),
  environments: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  key: Type.String({ description: 'shown once; stored only as a hash' }),
});

export const StartSessionBody = Type.Object(
  { ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_SESSION_TTL_SECONDS })) },
  { additionalProperties: false },
);

export const SessionStarted = Type.Object({
  token: Type.String(),
  expiresAt: Type.String(),
  sessionId: Type.String(),
});
export type SessionStarted = Static<typeof SessionStarted>;
