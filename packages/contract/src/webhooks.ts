import { type Static, type TSchema, Type } from 'typebox';
import { TierSchema } from './enums.ts';

/**
 * The events Gatehouse sends to outbound webhooks, one line each: adding an event is adding
 * its line here and calling `emitEvent` (packages/server/src/webhooks/events.ts) where it
 * happens. Endpoints subscribe by these names; the payload is `{type, timestamp, data}` as the
 * Standard Webhooks specification recommends, and never carries a secret, a verdict or
 * unmasked command output.
 */
export const WEBHOOK_EVENTS = {
  'request.pending': { summary: 'A request waits for people to decide it.' },
  'request.decided': { summary: 'People approved or rejected a request (a quorum, or one reject).' },
  'request.expired': { summary: 'A pending request reached its deadline undecided (a deny verdict).' },
  'request.cancelled': { summary: 'A pending request was cancelled because its agent was revoked.' },
  'audit.verify_failed': { summary: 'Audit verification found a problem in the chains or checkpoints.' },
  'drift.alarm': {
    summary: "An agent type's auto-approval rate passed its ceiling or rose too far over its baseline.",
  },
} as const satisfies Record<string, { summary: string }>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** The sample event of the admin page's "send test event": delivered to one endpoint, whatever it subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && Object.hasOwn(WEBHOOK_EVENTS, value);
}

export const WebhookEventTypeSchema = Type.Enum(WEBHOOK_EVENT_TYPES);

/** What a delivery is doing: waiting, on the wire, waiting for its next attempt, or done. */
export const DELIVERY_STATUSES = ['pending', 'sending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DeliveryStatusSchema = Type.Enum(DELIVERY_STATUSES);

/** The longest overlap in which a rotated-out secret still signs: a week. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

const WebhookId = Type.String({ minLength: 1, maxLength: 64 });

export const WebhookParams = Type.Object({ id: WebhookId });
export const DeliveryParams = Type.Object({ id: WebhookId, deliveryId: WebhookId });

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: 2048,
      description: 'http: or https: URL that receives POSTs',
    }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    events: Type.Array(WebhookEventTypeSchema, { minItems: 1, uniqueItems: true }),
    allowPrivateNetwork: Type.Optional(
      Type.Boolean({
        description:
          'Deliver even when the host resolves to a private, loopback or link-local address (refused by default: SSRF)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 200 })),
    events: Type.Optional(Type.Array(WebhookEventTypeSchema, { minItems: 1, uniqueItems: true })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An endpoint as admins see it: never its secret. */
export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(WebhookEventTypeSchema),
  allowPrivateNetwork: Type.Boolean(),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  secretRotatedAt: Nullable(Type.String()),
  /** Until when the previous secret still signs, after a rotation. */
  previousSecretExpiresAt: Nullable(Type.String()),
  deliveries: Type.Object({
    delivered: Type.Integer(),
    failed: Type.Integer(),
    open: Type.Integer({ description: 'pending, sending or waiting for a retry' }),
  }),
});
export type WebhookView = Static<typeof WebhookView>;

export const WebhookList = Type.Object({ items: Type.Array(WebhookView) });

export const WebhookCreated = Type.Object({
  ...WebhookView.properties,
  secret: Type.String({ description: 'whsec_…: shown once; stored encrypted, never returned again' }),
});
export type WebhookCreated = Static<typeof WebhookCreated>;

export const RotateSecretBody = Type.Object(
  {
    overlapSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SECRET_OVERLAP_SECONDS,
        description: `how long the old secret keeps signing too (default ${DEFAULT_SECRET_OVERLAP_SECONDS})`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type RotateSecretBody = Static<typeof RotateSecretBody>;

export const SecretRotated = Type.Object({
  id: Type.String(),
  secret: Type.String({ description: 'the new whsec_… secret: shown once' }),
  previousSecretExpiresAt: Nullable(Type.String()),
});
export type SecretRotated = Static<typeof SecretRotated>;

/** One try of a delivery, as the log keeps it. */
export const DeliveryAttempt = Type.Object({
  attempt: Type.Integer(),
  at: Type.String(),
  /** The receiver's HTTP status; null when there was no answer (timeout, refused, network). */
  statusCode: Nullable(Type.Integer()),
  latencyMs: Type.Integer(),
  error: Nullable(Type.String()),
});
export type DeliveryAttempt = Static<typeof DeliveryAttempt>;

export const DeliveryView = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  /** The message id, sent as `webhook-id`: the same on every attempt and replay. */
  eventId: Type.String(),
  eventType: Type.String(),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastLatencyMs: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  deliveredAt: Nullable(Type.String()),
  createdAt: Type.String(),
  history: Type.Array(DeliveryAttempt),
});
export type DeliveryView = Static<typeof DeliveryView>;

export const DeliveryQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);
export type DeliveryQuery = Static<typeof DeliveryQuery>;

export const DeliveryList = Type.Object({ items: Type.Array(DeliveryView) });

export const DeliveryQueued = Type.Object({ deliveryId: Type.String(), eventId: Type.String() });
export type DeliveryQueued = Static<typeof DeliveryQueued>;

export const WebhookEventCatalogue = Type.Object({
  items: Type.Array(Type.Object({ type: Type.String(), summary: Type.String() })),
});

/** The `data` of the request events: what an approver needs to know, masked, without the verdict. */
export const RequestEventData = Type.Object({
  id: Type.String(),
  status: Type.String(),
  kind: Type.String(),
  dialect: Nullable(Type.String()),
  command: Type.String({ description: 'masked: detected secrets and personal data replaced' }),
  tier: TierSchema,
  score: Type.Number(),
  reasons: Type.Array(Type.Object({ rule: Type.String(), detail: Type.String() })),
  agent: Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() }),
  environment: Nullable(Type.String()),
  requiredApprovals: Type.Integer(),
  deadline: Nullable(Type.String()),
  createdAt: Type.String(),
  decidedAt: Nullable(Type.String()),
  decisions: Type.Array(
    Type.Object({ userId: Type.String(), email: Type.String(), decision: Type.String(), at: Type.String() }),
  ),
  url: Nullable(Type.String({ description: 'the request in the web app, when GATEHOUSE_PUBLIC_URL is set' })),
});
export type RequestEventData = Static<typeof RequestEventData>;

// Slack

export const SlackStatus = Type.Object({
  configured: Type.Boolean(),
  /** Where Slack must send interactions (the app's Interactivity Request URL). */
  interactivityPath: Type.String(),
  defaultChannel: Nullable(Type.String()),
  routes: Type.Record(Type.String(), Type.String()),
  linkByEmail: Type.Boolean(),
  teamId: Nullable(Type.String()),
});
export type SlackStatus = Static<typeof SlackStatus>;

export const SlackTestBody = Type.Object(
  { channel: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) },
  { additionalProperties: false },
);
export const SlackTestAnswer = Type.Object({ channel: Type.String(), ts: Type.String() });
export type SlackTestAnswer = Static<typeof SlackTestAnswer>;

const SlackUserId = Type.String({ pattern: '^[UW][A-Z0-9]{2,30}$', description: 'Slack member id (U…/W…)' });

export const SlackLinkBody = Type.Object(
  { slackUserId: SlackUserId, userId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type SlackLinkBody = Static<typeof SlackLinkBody>;

export const SlackLinkParams = Type.Object({ slackUserId: SlackUserId });

export const SlackLinkView = Type.Object({
  slackUserId: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});
export type SlackLinkView = Static<typeof SlackLinkView>;

export const SlackLinkList = Type.Object({ items: Type.Array(SlackLinkView) });
