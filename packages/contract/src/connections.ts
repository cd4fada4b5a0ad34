import { type Static, type TSchema, Type } from 'typebox';

/** Database engines the broker can run statements on; each maps to the risk engine's dialect. */
export const CONNECTION_ENGINES = ['postgresql', 'mysql', 'mariadb'] as const;
export type ConnectionEngine = (typeof CONNECTION_ENGINES)[number];
export const ConnectionEngineSchema = Type.Enum(CONNECTION_ENGINES);

/** Names are what agents, verdicts and audit events use: short, stable, no spaces. */
export const ConnectionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][\\w.-]*$' });

export const ConnectionParams = Type.Object({ name: ConnectionName });
export const ConnectionGrantParams = Type.Object({
  name: ConnectionName,
  grantId: Type.String({ minLength: 1, maxLength: 64 }),
});

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const CreateConnectionBody = Type.Object(
  {
    name: ConnectionName,
    engine: ConnectionEngineSchema,
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65_535 }),
    database: Type.String({ minLength: 1, maxLength: 128 }),
    user: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ maxLength: 1024 }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type CreateConnectionBody = Static<typeof CreateConnectionBody>;

/** Every field optional; `user` and `password` replace the sealed login together or alone. */
export const UpdateConnectionBody = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    database: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    environment: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 32 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateConnectionBody = Static<typeof UpdateConnectionBody>;

/** A connection as any API shows it: never its login. */
export const ConnectionView = Type.Object({
  name: Type.String(),
  engine: ConnectionEngineSchema,
  host: Type.String(),
  port: Type.Integer(),
  database: Type.String(),
  description: Type.String(),
  environment: Nullable(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});
export type ConnectionView = Static<typeof ConnectionView>;

export const ConnectionList = Type.Object({ items: Type.Array(ConnectionView) });

/** A grant names one agent (by id) or every agent of a type, never both. */
export const CreateConnectionGrantBody = Type.Union([
  Type.Object({ agentId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ agentType: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
]);
export type CreateConnectionGrantBody = Static<typeof CreateConnectionGrantBody>;

export const ConnectionGrantView = Type.Object({
  id: Type.String(),
  connection: Type.String(),
  agentId: Nullable(Type.String()),
  agentType: Nullable(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
});
export type ConnectionGrantView = Static<typeof ConnectionGrantView>;
export const ConnectionGrantList = Type.Object({ items: Type.Array(ConnectionGrantView) });

/** A cell as it crosses the wire: JSON values; binary, dates and big numbers arrive as text. */
export const SqlCell = Type.Unknown();

/** What a brokered statement returned, masked: the last result set of the text that was run. */
export const SqlResult = Type.Object({
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Array(SqlCell)),
  /** Rows in `rows`; with `truncated`, the statement returned more and the rest were dropped. */
  rowCount: Type.Integer(),
  truncated: Type.Boolean(),
  /** Rows the statement changed, when the target reports it (INSERT, UPDATE, DELETE). */
  affectedRows: Nullable(Type.Integer()),
  /** Masked values per type. */
  masked: Type.Record(Type.String(), Type.Integer()),
  readOnly: Type.Boolean(),
  durationMs: Type.Integer(),
  /** SHA-256 (hex) of the masked result, as the audit event records it. */
  sha256: Type.String(),
});
export type SqlResult = Static<typeof SqlResult>;
