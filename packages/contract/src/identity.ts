import { type Static, Type } from 'typebox';
import { RequestKindSchema, RoleSchema } from './enums.ts';

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

/** Ids of people, tokens and groups in paths and bodies. */
const Id = Type.String({ minLength: 1, maxLength: 64 });

/** The `:id` of a user, token or group route. */
export const IdentityIdParams = Type.Object({ id: Id });
export type IdentityIdParams = Static<typeof IdentityIdParams>;

/** A person as the admin list shows them. */
export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  roles: Type.Array(RoleSchema),
  groups: Type.Array(Type.String(), { description: 'names of the approver groups the person is in' }),
  source: Type.String(),
  hasPassword: Type.Boolean(),
  createdAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});
export type UserView = Static<typeof UserView>;

export const UserList = Type.Object({ items: Type.Array(UserView) });

/** The users' `roles` in a body: at least one, each once. */
export const UserRoles = Type.Array(RoleSchema, { minItems: 1, maxItems: 3, uniqueItems: true });

export const UserCreated = Type.Object({
  id: Type.String(),
  email: Type.String(),
  roles: Type.Array(RoleSchema),
  token: Type.String({ description: 'the personal API token; shown once, stored only as a hash' }),
});
export type UserCreated = Static<typeof UserCreated>;

export const UserDisabled = Type.Object({ id: Type.String(), disabledAt: Type.String() });
export type UserDisabled = Static<typeof UserDisabled>;

export const PasswordSet = Type.Object({ id: Type.String() });

/** A personal API token, never its value. */
export const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type TokenView = Static<typeof TokenView>;

export const TokenList = Type.Object({ items: Type.Array(TokenView) });

export const CreateTokenBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const TokenCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  userId: Type.String(),
  token: Type.String({ description: 'shown once; stored only as a hash' }),
});
export type TokenCreated = Static<typeof TokenCreated>;

export const TokenRevoked = Type.Object({ id: Type.String(), revokedAt: Type.String() });
export type TokenRevoked = Static<typeof TokenRevoked>;

/** An approver group: environments and/or kinds make it scoped; empty lists mean any. */
export const GroupView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environments: Type.Array(Type.String()),
  kinds: Type.Array(Type.String()),
  escalatesTo: Type.Union([Type.String(), Type.Null()]),
  members: Type.Array(Type.Object({ id: Type.String(), email: Type.String() })),
  createdAt: Type.String(),
});
export type GroupView = Static<typeof GroupView>;

export const GroupList = Type.Object({ items: Type.Array(GroupView) });

export const CreateGroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    environments: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 32, uniqueItems: true }),
    ),
    kinds: Type.Optional(Type.Array(RequestKindSchema, { uniqueItems: true })),
    escalatesTo: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type CreateGroupBody = Static<typeof CreateGroupBody>;

export const GroupMemberParams = Type.Object({ id: Id, userId: Id });

export const AddMemberBody = Type.Object({ userId: Id }, { additionalProperties: false });

export const MemberAdded = Type.Object({ groupId: Type.String(), userId: Type.String() });

/** Which sign-in methods the server offers. */
export const AuthProviders = Type.Object({ local: Type.Boolean(), oidc: Type.Boolean() });
export type AuthProviders = Static<typeof AuthProviders>;

/** The signed-in person of a browser session. */
export const SessionUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  roles: Type.Array(RoleSchema),
  groups: Type.Array(Type.String(), { description: 'names of the approver groups the person is in' }),
});
export type SessionUser = Static<typeof SessionUser>;

/** A browser session: who, and the token that state-changing calls send as `x-csrf-token`. */
export const WebSessionAnswer = Type.Object({ user: SessionUser, csrfToken: Type.String() });
export type WebSessionAnswer = Static<typeof WebSessionAnswer>;
