import type { SlackLinkView, SlackStatus, SlackTestAnswer } from '@gatehouse/contract';
import { type RequestRow, schema } from '@gatehouse/db';
import type { WebClient } from '@slack/web-api';
import { and, asc, count, eq, isNull, lt, sql } from 'drizzle-orm';
import { eligibilityOf } from '../approvals/scope.ts';
import { decide } from '../approvals/service.ts';
import { actorOf, type Principal, type Role } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { normaliseEnvironment } from '../lifecycle/eligibility.ts';
import { commentRequired } from '../lifecycle/quorum.ts';
import type { Runtime } from '../platform/runtime.ts';
import { requestEventData } from '../webhooks/request-data.ts';
import {
  ACTION,
  COMMENT_ACTION,
  COMMENT_BLOCK,
  DECIDE_CALLBACK,
  decisionModal,
  type ModalMetadata,
  renderedState,
  requestMessage,
  sampleMessage,
} from './blocks.ts';
import { slackClient, slackError } from './client.ts';

export const INTERACTIVITY_PATH = '/v1/slack/interactions';

/** A post that has not finished in this long is taken to have died with its process. */
const STALE_POST_MS = 2 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Posting and updating messages

/**
 * The channels a pending request goes to: those of the approver groups that may decide it
 * (escalation groups once it escalated), else the one of its environment, else the default.
 */
export async function channelsFor(
  rt: Runtime,
  request: Pick<RequestRow, 'kind' | 'context' | 'escalatedAt'>,
  groups?: RoutedGroup[],
): Promise<string[]> {
  const cfg = rt.config.slack;
  if (!cfg) return [];
  const all = groups ?? (await routedGroups(rt));
  const eligibility = eligibilityOf(request, all);
  if (eligibility.restricted) {
    const byGroup = all
      .filter((g) => eligibility.groupIds.includes(g.id))
      .map((g) => cfg.channels[`group:${g.name}`])
      .filter((c): c is string => c !== undefined);
    if (byGroup.length > 0) return [...new Set(byGroup)];
  }
  const environment = normaliseEnvironment(request.context.environment);
  const byEnvironment = environment ? cfg.channels[`environment:${environment}`] : undefined;
  if (byEnvironment) return [byEnvironment];
  return cfg.defaultChannel ? [cfg.defaultChannel] : [];
}

type RoutedGroup = Awaited<ReturnType<typeof routedGroups>>[number];

function routedGroups(rt: Runtime) {
  return rt.database.db
    .select({
      id: schema.approverGroups.id,
      name: schema.approverGroups.name,
      environments: schema.approverGroups.environments,
      kinds: schema.approverGroups.kinds,
      escalatesTo: schema.approverGroups.escalatesTo,
    })
    .from(schema.approverGroups);
}

async function currentState(rt: Runtime, requestId: string): Promise<string | undefined> {
  const [row] = await rt.database.db
    .select({ status: schema.requests.status })
    .from(schema.requests)
    .where(eq(schema.requests.id, requestId));
  if (!row) return undefined;
  const [decided] = await rt.database.db
    .select({ n: count() })
    .from(schema.decisions)
    .where(eq(schema.decisions.requestId, requestId));
  return `${row.status}:${decided?.n ?? 0}`;
}

/**
 * The `slack.sync` job: posts a pending request to its channels (once each, whatever the
 * number of replicas and retries) and brings every message of the request to its current
 * state: approvals so far, then the verdict and who decided, wherever it was decided. It
 * reads the state from the database, so running it again is harmless; it repeats while the
 * request changed under it, so the last writer to Slack always writes the newest state.
 */
export async function syncSlack(rt: Runtime, requestId: string): Promise<void> {
  if (!rt.config.slack) return;
  const client = slackClient(rt);
  const db = rt.database.db;
  const m = schema.slackMessages;
  for (let round = 0; round < 3; round++) {
    const data = await requestEventData(rt, requestId);
    if (!data) return;
    const state = renderedState(data);
    const message = requestMessage(data);
    const posted = await db.select().from(m).where(eq(m.requestId, requestId));

    if (data.status === 'pending') {
      const [request] = await db.select().from(schema.requests).where(eq(schema.requests.id, requestId));
      for (const channel of request ? await channelsFor(rt, request) : []) {
        if (posted.some((p) => p.channel === channel && p.ts)) continue;
        // Claim the channel: one process posts; a claim older than STALE_POST_MS died with its process.
        const [claimed] = await db
          .insert(m)
          .values({ requestId, channel })
          .onConflictDoUpdate({
            target: [m.requestId, m.channel],
            set: { updatedAt: new Date() },
            setWhere: and(isNull(m.ts), lt(m.updatedAt, new Date(Date.now() - STALE_POST_MS))),
          })
          .returning();
        if (!claimed) continue;
        try {
          const answer = await client.chat.postMessage({
            channel,
            ...message,
            unfurl_links: false,
            unfurl_media: false,
          });
          if (!answer.ts) throw new Error('Slack answered chat.postMessage without a ts');
          await db
            .update(m)
            .set({
              ts: answer.ts,
              channel: answer.channel ?? channel,
              rendered: state,
              updatedAt: new Date(),
            })
            .where(and(eq(m.requestId, requestId), eq(m.channel, channel)));
        } catch (error) {
          await db.delete(m).where(and(eq(m.requestId, requestId), eq(m.channel, channel), isNull(m.ts)));
          rt.log.warn({ requestId, channel, reason: slackError(error) }, 'could not post a request to Slack');
          throw new Error(`Slack chat.postMessage to ${channel}: ${slackError(error)}`);
        }
      }
    }

    for (const row of posted) {
      if (!row.ts || row.rendered === state) continue;
      try {
        await client.chat.update({ channel: row.channel, ts: row.ts, ...message });
      } catch (error) {
        const reason = slackError(error);
        // A message someone deleted in Slack cannot be updated: stop trying, say so once.
        if (reason !== 'message_not_found' && reason !== 'channel_not_found') {
          throw new Error(`Slack chat.update in ${row.channel}: ${reason}`);
        }
        rt.log.warn({ requestId, channel: row.channel, reason }, 'Slack message of a request is gone');
      }
      await db
        .update(m)
        .set({ rendered: state, updatedAt: new Date() })
        .where(and(eq(m.requestId, requestId), eq(m.channel, row.channel)));
    }
    if ((await currentState(rt, requestId)) === state) return;
  }
}

/** The lifecycle's announcements, as Slack syncs; only enqueued here, run by the job queue. */
export function onLifecycleEvent(rt: Runtime, event: { type: string; data: unknown }): void {
  if (!rt.config.slack) return;
  if (event.type !== 'request.created' && event.type !== 'request.updated') return;
  const { id, status } = event.data as { id?: unknown; status?: unknown };
  if (typeof id !== 'string') return;
  // A request that was final from the start (auto, deny) never reaches Slack.
  if (event.type === 'request.created' && status !== 'pending') return;
  void rt.jobs.enqueue('slack.sync', { requestId: id }).catch(() => {});
}

/**
 * Finds what a lost job left behind: pending requests of the last day never posted, and
 * messages that show an older state than their request's. Returns how many it handed on.
 */
export async function reconcileSlack(rt: Runtime): Promise<number> {
  if (!rt.config.slack) return 0;
  const db = rt.database.db;
  const unposted = await db.execute(sql`
    select r.id, r.kind, r.context, r.escalated_at from requests r
    where r.status = 'pending' and r.created_at > now() - interval '1 day'
      and r.created_at < now() - interval '5 seconds'
      and not exists (select 1 from slack_messages m where m.request_id = r.id)
    limit 200`);
  const stale = await db.execute(sql`
    select m.request_id as id from slack_messages m join requests r on r.id = m.request_id
    where m.ts is not null and m.updated_at < now() - interval '5 seconds'
      and m.rendered is distinct from
        r.status || ':' || (select count(*) from decisions d where d.request_id = r.id)
    limit 200`);
  const ids = new Set((stale.rows as { id: string }[]).map((r) => r.id));
  // A pending request that no route and no default channel takes is not "unposted": leave it.
  const groups = await routedGroups(rt);
  for (const row of unposted.rows as {
    id: string;
    kind: string;
    context: unknown;
    escalated_at: unknown;
  }[]) {
    const request = {
      kind: row.kind as RequestRow['kind'],
      context: (typeof row.context === 'string'
        ? JSON.parse(row.context)
        : row.context) as RequestRow['context'],
      escalatedAt: row.escalated_at ? new Date(String(row.escalated_at)) : null,
    };
    if ((await channelsFor(rt, request, groups)).length > 0) ids.add(row.id);
  }
  for (const requestId of ids) await rt.jobs.enqueue('slack.sync', { requestId }).catch(() => {});
  return ids.size;
}

// ---------------------------------------------------------------------------------------------
// Who clicked

type Person =
  | { ok: true; principal: Extract<Principal, { type: 'user' }>; via: 'link' | 'email' }
  | { ok: false; reason: string };

async function activeUser(rt: Runtime, where: ReturnType<typeof eq>) {
  const [user] = await rt.database.db
    .select({
      id: schema.users.id,
      email: schema.users.email,
      roles: schema.users.roles,
      disabledAt: schema.users.disabledAt,
    })
    .from(schema.users)
    .where(where);
  return user;
}

/**
 * The Gatehouse person behind a Slack member: the link an admin set, or else (unless switched
 * off) the Gatehouse account whose email is the member's confirmed Slack email. Bots, deleted
 * members, members of another workspace and unconfirmed emails map to nobody. The person then
 * decides as themselves, through `decide`: roles, ownership and groups are checked there.
 */
export async function personFor(
  rt: Runtime,
  client: WebClient,
  slackUserId: string | undefined,
  teamId: string | undefined,
): Promise<Person> {
  const cfg = rt.config.slack!;
  if (!slackUserId) return { ok: false, reason: 'the interaction names no Slack user' };
  if (cfg.teamId && teamId !== cfg.teamId) {
    return { ok: false, reason: 'this Slack workspace is not the one Gatehouse trusts' };
  }
  const [link] = await rt.database.db
    .select({ userId: schema.slackUserLinks.userId })
    .from(schema.slackUserLinks)
    .where(eq(schema.slackUserLinks.slackUserId, slackUserId));
  let user: Awaited<ReturnType<typeof activeUser>>;
  let via: 'link' | 'email';
  if (link) {
    user = await activeUser(rt, eq(schema.users.id, link.userId));
    via = 'link';
  } else {
    if (!cfg.linkByEmail) {
      return {
        ok: false,
        reason: 'your Slack account is not linked to a Gatehouse approver; ask an admin to link it',
      };
    }
    let member: Awaited<ReturnType<WebClient['users']['info']>>['user'];
    try {
      member = (await client.users.info({ user: slackUserId })).user;
    } catch (error) {
      return { ok: false, reason: `Slack did not say who you are (${slackError(error)})` };
    }
    if (!member || member.deleted || member.is_bot || member.is_app_user) {
      return { ok: false, reason: 'this Slack account is not a person Gatehouse can map' };
    }
    if (cfg.teamId && member.team_id && member.team_id !== cfg.teamId) {
      return { ok: false, reason: 'your Slack account belongs to another workspace' };
    }
    const email = member.profile?.email?.trim().toLowerCase();
    if (!email || member.is_email_confirmed !== true) {
      return {
        ok: false,
        reason:
          'your Slack email is not confirmed, so it cannot identify you; ask an admin to link your account',
      };
    }
    user = await activeUser(rt, eq(schema.users.email, email));
    via = 'email';
    if (!user)
      return {
        ok: false,
        reason: 'no Gatehouse account has your Slack email; ask an admin to link your account',
      };
  }
  if (!user || user.disabledAt)
    return { ok: false, reason: 'the Gatehouse account linked to you is disabled' };
  return {
    ok: true,
    via,
    principal: { type: 'user', id: user.id, email: user.email, roles: user.roles as Role[] },
  };
}

// ---------------------------------------------------------------------------------------------
// Interactions

interface SlackPayload {
  type?: string;
  user?: { id?: string; team_id?: string };
  team?: { id?: string } | null;
  channel?: { id?: string };
  container?: { channel_id?: string };
  trigger_id?: string;
  actions?: { action_id?: string; value?: string }[];
  view?: {
    callback_id?: string;
    private_metadata?: string;
    state?: { values?: Record<string, Record<string, { value?: string | null }>> };
  };
}

const REQUEST_ID = /^req_[A-Za-z0-9_-]{1,60}$/;

/** What the interactivity endpoint answers Slack: nothing (200, empty) or a view_submission response. */
export type InteractionAnswer = undefined | { response_action: 'errors'; errors: Record<string, string> };

/**
 * One interaction, already verified to come from Slack. Every decision goes through `decide`,
 * the web app's path: quorum of distinct people, no self-approval, group eligibility, comments
 * where required, refused attempts audited. A person Gatehouse cannot establish decides
 * nothing, and the refusal is audited.
 */
export async function handleInteraction(rt: Runtime, payload: SlackPayload): Promise<InteractionAnswer> {
  if (payload.type === 'block_actions') {
    await onBlockAction(rt, payload);
    return undefined;
  }
  if (payload.type === 'view_submission' && payload.view?.callback_id === DECIDE_CALLBACK) {
    return onViewSubmission(rt, payload);
  }
  return undefined;
}

async function refused(rt: Runtime, payload: SlackPayload, reason: string, requestId: string | null) {
  await rt.audit
    .append({
      type: 'slack.interaction_refused',
      actor: { type: 'system', id: 'slack' },
      subject: requestId ? { type: 'request', id: requestId } : undefined,
      data: {
        slackUserId: payload.user?.id ?? null,
        teamId: payload.team?.id ?? payload.user?.team_id ?? null,
        reason,
      },
    })
    .catch(() => {});
}

async function decideFromSlack(
  rt: Runtime,
  payload: SlackPayload,
  principal: Extract<Principal, { type: 'user' }>,
  requestId: string,
  decision: 'approve' | 'reject',
  comment: string | undefined,
) {
  const result = await decide(rt, principal, requestId, { decision, ...(comment ? { comment } : {}) });
  await rt.audit
    .append({
      type: 'slack.decision',
      actor: actorOf(principal),
      subject: { type: 'request', id: requestId },
      data: { slackUserId: payload.user?.id ?? null, teamId: payload.team?.id ?? null, decision },
    })
    .catch(() => {});
  return result;
}

function outcomeNote(
  result: { status: string; approvals: number; required: number },
  decision: string,
): string {
  if (result.status === 'pending')
    return `You ${decision}d it: ${result.approvals} of ${result.required} approvals so far.`;
  return `You ${decision}d it: the request is now ${result.status}.`;
}

async function onBlockAction(rt: Runtime, payload: SlackPayload): Promise<void> {
  const client = slackClient(rt);
  const action = payload.actions?.[0];
  const actionId = action?.action_id;
  if (actionId !== ACTION.approve && actionId !== ACTION.reject && actionId !== ACTION.sample) return;
  const slackUser = payload.user?.id;
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  const tell = async (text: string) => {
    if (!channel || !slackUser) return;
    await client.chat
      .postEphemeral({ channel, user: slackUser, text })
      .catch((error) => rt.log.warn({ reason: slackError(error) }, 'Slack chat.postEphemeral failed'));
  };
  const who = await personFor(rt, client, slackUser, payload.team?.id ?? payload.user?.team_id);

  if (actionId === ACTION.sample) {
    await tell(
      who.ok
        ? `Your Slack account maps to ${who.principal.email} (${who.principal.roles.join(', ')}) by ${who.via === 'link' ? 'an admin’s link' : 'your confirmed email'}.`
        : `Your Slack account maps to no Gatehouse approver: ${who.reason}.`,
    );
    return;
  }
  const requestId = action?.value ?? '';
  if (!REQUEST_ID.test(requestId)) return;
  if (!who.ok) {
    await refused(rt, payload, who.reason, requestId);
    await tell(`Gatehouse recorded no decision: ${who.reason}.`);
    return;
  }
  const decision = actionId === ACTION.approve ? 'approve' : 'reject';
  const data = await requestEventData(rt, requestId);
  if (!data) {
    await tell('Gatehouse has no such request.');
    return;
  }
  if (decision === 'reject' || commentRequired(data.tier, decision)) {
    if (data.status !== 'pending') {
      await tell(`The request is already ${data.status}.`);
      return;
    }
    // The comment is asked in a modal; its submission comes back as a view_submission.
    const view = decisionModal(data, decision);
    if (channel) view.private_metadata = JSON.stringify({ ...JSON.parse(view.private_metadata!), channel });
    try {
      await client.views.open({ trigger_id: payload.trigger_id ?? '', view });
    } catch (error) {
      await tell(
        `Slack could not open the comment form (${slackError(error)}); decide in Gatehouse instead.`,
      );
    }
    return;
  }
  try {
    const result = await decideFromSlack(rt, payload, who.principal, requestId, decision, undefined);
    await tell(outcomeNote(result, decision));
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    await tell(`Gatehouse refused your decision: ${error.message}.`);
  }
}

async function onViewSubmission(rt: Runtime, payload: SlackPayload): Promise<InteractionAnswer> {
  const client = slackClient(rt);
  const fail = (message: string): InteractionAnswer => ({
    response_action: 'errors',
    errors: { [COMMENT_BLOCK]: message.slice(0, 150) },
  });
  let meta: ModalMetadata & { channel?: string };
  try {
    meta = JSON.parse(payload.view?.private_metadata ?? '');
  } catch {
    return fail('This form is not one Gatehouse opened.');
  }
  if (!REQUEST_ID.test(meta.requestId ?? '') || (meta.decision !== 'approve' && meta.decision !== 'reject')) {
    return fail('This form is not one Gatehouse opened.');
  }
  const comment = payload.view?.state?.values?.[COMMENT_BLOCK]?.[COMMENT_ACTION]?.value?.trim() ?? '';
  const who = await personFor(rt, client, payload.user?.id, payload.team?.id ?? payload.user?.team_id);
  if (!who.ok) {
    await refused(rt, payload, who.reason, meta.requestId);
    return fail(`Gatehouse recorded no decision: ${who.reason}`);
  }
  try {
    const result = await decideFromSlack(rt, payload, who.principal, meta.requestId, meta.decision, comment);
    if (meta.channel && payload.user?.id) {
      await client.chat
        .postEphemeral({
          channel: meta.channel,
          user: payload.user.id,
          text: outcomeNote(result, meta.decision),
        })
        .catch(() => {});
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    return fail(error.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Admin

export function slackStatus(rt: Runtime): SlackStatus {
  const cfg = rt.config.slack;
  return {
    configured: cfg !== undefined,
    interactivityPath: INTERACTIVITY_PATH,
    defaultChannel: cfg?.defaultChannel ?? null,
    routes: cfg?.channels ?? {},
    linkByEmail: cfg?.linkByEmail ?? true,
    teamId: cfg?.teamId ?? null,
  };
}

/** The admin page's Slack test: a sample message, to the default channel or the one named. */
export async function sendSlackTest(rt: Runtime, by: Principal, channel?: string): Promise<SlackTestAnswer> {
  const cfg = rt.config.slack;
  if (!cfg)
    throw new GatehouseError(
      'SLACK_NOT_CONFIGURED',
      'set GATEHOUSE_SLACK_BOT_TOKEN and GATEHOUSE_SLACK_SIGNING_SECRET first',
    );
  const target = channel ?? cfg.defaultChannel ?? Object.values(cfg.channels)[0];
  if (!target)
    throw new GatehouseError('VALIDATION_FAILED', 'name a channel: no GATEHOUSE_SLACK_CHANNEL is configured');
  let answer: { ts?: string; channel?: string };
  try {
    answer = await slackClient(rt).chat.postMessage({ channel: target, ...sampleMessage() });
  } catch (error) {
    throw new GatehouseError('SLACK_UNAVAILABLE', `Slack refused the test message: ${slackError(error)}`);
  }
  await rt.audit.append({
    type: 'slack.test_sent',
    actor: actorOf(by),
    data: { channel: answer.channel ?? target },
  });
  return { channel: answer.channel ?? target, ts: answer.ts ?? '' };
}

export async function listLinks(rt: Runtime): Promise<SlackLinkView[]> {
  const rows = await rt.database.db
    .select({
      slackUserId: schema.slackUserLinks.slackUserId,
      userId: schema.slackUserLinks.userId,
      email: schema.users.email,
      createdAt: schema.slackUserLinks.createdAt,
      createdBy: schema.slackUserLinks.createdBy,
    })
    .from(schema.slackUserLinks)
    .innerJoin(schema.users, eq(schema.users.id, schema.slackUserLinks.userId))
    .orderBy(asc(schema.users.email));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/** Links a Slack member to a person explicitly (replacing an earlier link of that member). */
export async function setLink(
  rt: Runtime,
  by: Principal,
  slackUserId: string,
  userId: string,
): Promise<SlackLinkView> {
  const createdBy = by.type === 'user' ? by.email : by.id;
  await rt.audit.transaction(async (tx, record) => {
    const [user] = await tx
      .select({ id: schema.users.id })
      .from(schema.users)
      .where(eq(schema.users.id, userId));
    if (!user) throw new GatehouseError('UNKNOWN_USER', `no user ${userId}`);
    await tx
      .insert(schema.slackUserLinks)
      .values({ slackUserId, userId, createdBy })
      .onConflictDoUpdate({
        target: schema.slackUserLinks.slackUserId,
        set: { userId, createdBy, createdAt: new Date() },
      });
    record({
      type: 'slack.linked',
      actor: actorOf(by),
      subject: { type: 'user', id: userId },
      data: { slackUserId },
    });
  });
  const link = (await listLinks(rt)).find((l) => l.slackUserId === slackUserId);
  return link!;
}

export async function deleteLink(rt: Runtime, by: Principal, slackUserId: string): Promise<void> {
  await rt.audit.transaction(async (tx, record) => {
    const removed = await tx
      .delete(schema.slackUserLinks)
      .where(eq(schema.slackUserLinks.slackUserId, slackUserId))
      .returning({ userId: schema.slackUserLinks.userId });
    if (removed.length === 0)
      throw new GatehouseError('SLACK_LINK_NOT_FOUND', `no link for Slack user ${slackUserId}`);
    record({
      type: 'slack.unlinked',
      actor: actorOf(by),
      subject: { type: 'user', id: removed[0]!.userId },
      data: { slackUserId },
    });
  });
}
