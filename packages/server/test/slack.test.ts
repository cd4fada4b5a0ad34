import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';
import {
  type FakeSlack,
  type SlackMessage,
  signInteraction,
  startFakeSlack,
} from '../../../test/support/slack-api.ts';
import { expireRequest } from '../src/lifecycle/expiry.ts';
import { reconcileSlack } from '../src/slack/service.ts';

const REVIEW = 'systemctl restart nginx';
const MULTI_PARTY = 'rm -rf /var/lib/postgresql';
const SQL_WRITE = "UPDATE accounts SET plan = 'pro' WHERE id = 42";

async function eventually<T>(
  fn: () => T | Promise<T>,
  check: (value: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Slack approvals', () => {
  let gh: TestGatehouse;
  let slack: FakeSlack;
  const signingSecret = randomBytes(16).toString('hex');
  const people: Record<string, { id: string; token: string }> = {};
  let owned: string; // a session of an agent carol owns
  let unowned: string;

  beforeAll(async () => {
    slack = await startFakeSlack();
    gh = await startGatehouse({
      redis: false,
      env: {
        GATEHOUSE_SLACK_BOT_TOKEN: slack.token,
        GATEHOUSE_SLACK_SIGNING_SECRET: signingSecret,
        GATEHOUSE_SLACK_API_URL: slack.apiUrl,
        GATEHOUSE_SLACK_CHANNEL: 'C0DEFAULT',
        GATEHOUSE_SLACK_CHANNELS: JSON.stringify({ 'group:dba': 'C0DBA', 'environment:prod': 'C0PROD' }),
        GATEHOUSE_SLACK_TEAM_ID: slack.teamId,
      },
    });
    for (const name of ['alice', 'bob', 'carol', 'dana', 'frank']) {
      people[name] = await gh.createUser(`${name}@example.com`, ['approver']);
    }
    people.ann = await gh.createUser('ann@example.com', ['auditor']);
    for (const name of ['alice', 'bob', 'carol', 'dana', 'ann']) {
      slack.addMember({ id: `U0${name.toUpperCase()}`, email: `${name}@example.com` });
    }
    // Frank's Slack email is not his Gatehouse one: only an admin's link maps him.
    slack.addMember({ id: 'U0FRANK', email: 'frank@home.example' });
    slack.addMember({ id: 'U0EVE', email: 'eve@example.com' });
    slack.addMember({ id: 'U0MAL', email: 'alice@example.com', confirmed: false });
    slack.addMember({ id: 'U0BOT', email: 'bob@example.com', bot: true });
    slack.addMember({ id: 'U0OTHER', email: 'bob@example.com', teamId: 'T0OTHER' });
    const dba = await gh.api('/v1/groups', {
      token: gh.adminToken,
      body: { name: 'dba', environments: ['prod'], kinds: ['sql'] },
    });
    await gh.api(`/v1/groups/${dba.body.id}/members`, {
      token: gh.adminToken,
      body: { userId: people.alice!.id },
    });
    owned = await gh.session((await gh.createAgent({ name: 'carols-bot', owner: people.carol!.id })).key);
    unowned = await gh.session((await gh.createAgent({ name: 'deploy-bot', type: 'ci' })).key);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await slack?.close();
  });

  const submit = async (
    session: string,
    command: string,
    environment = 'staging',
    kind: 'shell' | 'sql' = 'shell',
  ) => {
    const r = await gh.api('/v1/requests', {
      token: session,
      body: { kind, command, context: { environment } },
    });
    expect(r.body.status).toBe('pending');
    return r.body.id as string;
  };
  const messageOf = (requestId: string) =>
    eventually(
      () => slack.messages.find((m) => JSON.stringify(m.blocks).includes(requestId)),
      (m) => m !== undefined,
    ) as Promise<SlackMessage>;
  const requestOf = async (id: string) => (await gh.api(`/v1/requests/${id}`, { token: gh.adminToken })).body;

  const post = (signed: { body: string; headers: Record<string, string> }) =>
    fetch(new URL('/v1/slack/interactions', gh.url), {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
    });

  let trigger = 0;
  const blockActions = (
    slackUser: string,
    actionId: string,
    value: string,
    message: SlackMessage,
    team = slack.teamId,
  ) => ({
    type: 'block_actions',
    user: { id: slackUser, username: slackUser.toLowerCase(), name: slackUser.toLowerCase(), team_id: team },
    api_app_id: 'A0GATEHOUSE',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${++trigger}.0f1e2d3c`,
    team: { id: team, domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: 'ops' },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
    actions: [
      {
        action_id: actionId,
        block_id: 'decision',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  });
  const click = (
    slackUser: string,
    actionId: string,
    requestId: string,
    message: SlackMessage,
    team?: string,
  ) => post(signInteraction(signingSecret, blockActions(slackUser, actionId, requestId, message, team)));
  /** Clicks, and returns the modal Slack was asked to open. */
  const openModal = async (slackUser: string, actionId: string, requestId: string, message: SlackMessage) => {
    const before = slack.calls.filter((c) => c.method === 'views.open').length;
    expect((await click(slackUser, actionId, requestId, message)).status).toBe(200);
    const opened = slack.calls.filter((c) => c.method === 'views.open');
    expect(opened.length).toBe(before + 1);
    return opened.at(-1)!.args;
  };
  const submitModal = async (slackUser: string, view: any, comment: string) => {
    const response = await post(
      signInteraction(signingSecret, {
        type: 'view_submission',
        team: { id: slack.teamId, domain: 'example' },
        user: {
          id: slackUser,
          username: slackUser.toLowerCase(),
          name: slackUser.toLowerCase(),
          team_id: slack.teamId,
        },
        api_app_id: 'A0GATEHOUSE',
        token: 'deprecated-verification-token',
        trigger_id: `${Date.now()}.${++trigger}.9a8b7c`,
        view: {
          id: 'V0MODAL',
          team_id: slack.teamId,
          type: 'modal',
          blocks: view.blocks,
          private_metadata: view.private_metadata,
          callback_id: view.callback_id,
          state: { values: { comment: { comment: { type: 'plain_text_input', value: comment } } } },
          hash: '156772938.1827394',
        },
        response_urls: [],
        is_enterprise_install: false,
      }),
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  };
  const ephemeralTo = (slackUser: string, contains: string) =>
    slack.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === slackUser && String(c.args.text).includes(contains),
    );
  const decisions = async (id: string) => (await requestOf(id)).decisions ?? [];

  it('posts a pending request as Block Kit to the channel of its group, else its environment, else the default', async () => {
    const staging = await submit(unowned, REVIEW);
    const message = await messageOf(staging);
    expect(message.channel).toBe('C0DEFAULT');
    const call = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes(staging),
    )!;
    expect(call.token).toBe(slack.token);
    const text = JSON.stringify(message.blocks);
    const { score, reasons } = await requestOf(staging);
    for (const fact of [
      REVIEW,
      'review (1 approver)',
      `*Score*\\n${score}`,
      reasons[0].rule,
      'deploy-bot (ci)',
      '*Environment*\\nstaging',
      '<!date^',
    ]) {
      expect(text).toContain(fact);
    }
    const actions = message.blocks.find((b) => b.type === 'actions');
    expect(actions.elements.map((e: any) => [e.action_id, e.value, e.style])).toEqual([
      ['gatehouse.approve', staging, 'primary'],
      ['gatehouse.reject', staging, 'danger'],
    ]);
    expect(message.blocks.some((b) => b.type === 'section' && /Why/.test(b.text?.text ?? ''))).toBe(true);

    expect((await messageOf(await submit(unowned, REVIEW, 'prod'))).channel).toBe('C0PROD');
    // The dba group (prod, sql) decides this one: its channel wins over the environment's.
    expect((await messageOf(await submit(unowned, SQL_WRITE, 'prod', 'sql'))).channel).toBe('C0DBA');
  });

  it('approves through the same decide path as the web, and the message then shows the verdict and who decided', async () => {
    const id = await submit(unowned, `${REVIEW} # one click`);
    const message = await messageOf(id);
    expect((await click('U0ALICE', 'gatehouse.approve', id, message)).status).toBe(200);
    expect((await requestOf(id)).status).toBe('approved');
    expect((await decisions(id)).map((d: any) => [d.email, d.decision])).toEqual([
      ['alice@example.com', 'approve'],
    ]);
    await ephemeralTo('U0ALICE', 'now approved');
    const updated = await eventually(
      () => message,
      (m) => JSON.stringify(m.blocks).includes('Approved* by alice@example.com'),
    );
    expect(updated.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(updated.blocks)).toContain('verdict: allow');
    const audited = await query<{ type: string; actor_id: string }>(
      gh.database.url,
      "select type, actor_id from audit_events where subject_id = $1 and type in ('request.decided', 'slack.decision') order by id",
      [id],
    );
    expect(audited).toEqual([
      { type: 'request.decided', actor_id: people.alice!.id },
      { type: 'slack.decision', actor_id: people.alice!.id },
    ]);
  });

  it('asks for a comment in a modal to reject, and records it', async () => {
    const id = await submit(unowned, `${REVIEW} # rejected`);
    const message = await messageOf(id);
    const opened = await openModal('U0BOB', 'gatehouse.reject', id, message);
    expect(opened.trigger_id).toMatch(/^\d+\.\d+\./);
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'gatehouse.decide' });
    expect(JSON.parse(opened.view.private_metadata)).toMatchObject({ requestId: id, decision: 'reject' });
    // Nothing is decided by opening the form.
    expect((await requestOf(id)).status).toBe('pending');
    const blank = await submitModal('U0BOB', opened.view, '   ');
    expect(blank).toEqual({
      response_action: 'errors',
      errors: { comment: expect.stringContaining('comment') },
    });
    expect(await submitModal('U0BOB', opened.view, 'not during the freeze')).toBeUndefined();
    const after = await requestOf(id);
    expect(after.status).toBe('rejected');
    expect(after.decisions[0]).toMatchObject({ email: 'bob@example.com', comment: 'not during the freeze' });
    await eventually(
      () => message,
      (m) => JSON.stringify(m.blocks).includes('Rejected* by bob@example.com'),
    );
  });

  it('refuses forged, replayed and unsigned interactions, and decides nothing', async () => {
    const id = await submit(unowned, `${REVIEW} # forged`);
    const message = await messageOf(id);
    const payload = blockActions('U0ALICE', 'gatehouse.approve', id, message);
    const now = Math.floor(Date.now() / 1000);
    const good = signInteraction(signingSecret, payload);
    const attempts: [string, { body: string; headers: Record<string, string> }][] = [
      ['another secret', signInteraction('not-the-signing-secret', payload)],
      ['replayed, 6 minutes old', signInteraction(signingSecret, payload, now - 360)],
      ['from the future', signInteraction(signingSecret, payload, now + 360)],
      ['body changed after signing', { ...good, body: good.body.replace('U0ALICE', 'U0BOB') }],
      [
        'timestamp changed after signing',
        { ...good, headers: { ...good.headers, 'x-slack-request-timestamp': String(now - 1) } },
      ],
      ['no signature', { ...good, headers: { 'content-type': good.headers['content-type']! } }],
      ['malformed signature', { ...good, headers: { ...good.headers, 'x-slack-signature': 'v0=zz' } }],
      [
        'v1 scheme',
        {
          ...good,
          headers: {
            ...good.headers,
            'x-slack-signature': good.headers['x-slack-signature']!.replace('v0=', 'v1='),
          },
        },
      ],
    ];
    for (const [what, signed] of attempts) {
      const response = await post(signed);
      expect(response.status, what).toBe(401);
      expect(((await response.json()) as any).error.code, what).toBe('SLACK_SIGNATURE_INVALID');
    }
    expect((await requestOf(id)).status).toBe('pending');
    expect(await decisions(id)).toEqual([]);
    // The same payload, properly signed now, goes through: it was only the signatures that were refused.
    expect((await post(signInteraction(signingSecret, payload))).status).toBe(200);
    expect((await requestOf(id)).status).toBe('approved');
  });

  it('refuses Slack members it cannot map to a Gatehouse approver, and says why', async () => {
    const id = await submit(unowned, `${REVIEW} # strangers`);
    const message = await messageOf(id);
    const cases: [string, string, string | undefined][] = [
      ['U0EVE', 'no Gatehouse account has your Slack email', undefined],
      ['U0MAL', 'your Slack email is not confirmed', undefined],
      ['U0BOT', 'not a person', undefined],
      ['U0NOBODY', 'Slack did not say who you are', undefined],
      ['U0BOB', 'not the one Gatehouse trusts', 'T0OTHER'],
      ['U0OTHER', 'belongs to another workspace', undefined],
    ];
    for (const [user, reason, team] of cases) {
      expect((await click(user, 'gatehouse.approve', id, message, team)).status).toBe(200);
      await ephemeralTo(user, reason);
    }
    // An auditor maps, but the decide path refuses: roles are checked there, as for the web.
    expect((await click('U0ANN', 'gatehouse.approve', id, message)).status).toBe(200);
    await ephemeralTo('U0ANN', 'approver role');
    expect((await requestOf(id)).status).toBe('pending');
    expect(await decisions(id)).toEqual([]);
    const refused = await query<{ data: any }>(
      gh.database.url,
      "select data from audit_events where type = 'slack.interaction_refused' and subject_id = $1",
      [id],
    );
    expect(refused.map((r) => r.data.slackUserId).sort()).toEqual([
      'U0BOB',
      'U0BOT',
      'U0EVE',
      'U0MAL',
      'U0NOBODY',
      'U0OTHER',
    ]);
    const notApprover = await query(
      gh.database.url,
      "select 1 from audit_events where type = 'request.decision_refused' and subject_id = $1 and actor_id = $2",
      [id, people.ann!.id],
    );
    expect(notApprover).toHaveLength(1);

    // Frank maps only once an admin links him.
    expect((await click('U0FRANK', 'gatehouse.approve', id, message)).status).toBe(200);
    await ephemeralTo('U0FRANK', 'no Gatehouse account has your Slack email');
    const link = await gh.api('/v1/slack/links', {
      method: 'PUT',
      token: gh.adminToken,
      body: { slackUserId: 'U0FRANK', userId: people.frank!.id },
    });
    expect(link.body).toMatchObject({ slackUserId: 'U0FRANK', email: 'frank@example.com' });
    expect((await click('U0FRANK', 'gatehouse.approve', id, message)).status).toBe(200);
    expect((await decisions(id)).map((d: any) => d.email)).toEqual(['frank@example.com']);
  });

  it('holds quorum, no self-approval and group eligibility through Slack', async () => {
    const id = await submit(owned, MULTI_PARTY);
    const message = await messageOf(id);
    // A multi-party approval needs a comment: Approve opens the modal too.
    const view = (await openModal('U0CAROL', 'gatehouse.approve', id, message)).view;
    const self = await submitModal('U0CAROL', view, 'my own, trust me');
    expect(self.response_action).toBe('errors');
    expect(self.errors.comment).toContain('you own the requesting agent');
    expect(await decisions(id)).toEqual([]);

    expect(await submitModal('U0ALICE', view, 'checked the backup first')).toBeUndefined();
    expect((await requestOf(id)).status).toBe('pending');
    await eventually(
      () => message,
      (m) => JSON.stringify(m.blocks).includes('Approved so far by alice@example.com'),
    );
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(true);
    // The same person twice is still one approval.
    const again = await submitModal('U0ALICE', view, 'really sure');
    expect(again.errors.comment).toContain('already decided');
    expect((await requestOf(id)).status).toBe('pending');

    expect(await submitModal('U0BOB', view, 'second pair of eyes')).toBeUndefined();
    const done = await requestOf(id);
    expect(done.status).toBe('approved');
    expect(done.decisions.map((d: any) => d.email)).toEqual(['alice@example.com', 'bob@example.com']);
    await eventually(
      () => message,
      (m) => JSON.stringify(m.blocks).includes('Approved* by alice@example.com, bob@example.com'),
    );

    // Scoped to the dba group: dana may not decide it, alice (a member) may.
    const scoped = await submit(unowned, SQL_WRITE, 'prod', 'sql');
    const dbaMessage = await messageOf(scoped);
    expect((await click('U0DANA', 'gatehouse.approve', scoped, dbaMessage)).status).toBe(200);
    await ephemeralTo('U0DANA', 'not a member');
    expect((await requestOf(scoped)).status).toBe('pending');
    expect((await click('U0ALICE', 'gatehouse.approve', scoped, dbaMessage)).status).toBe(200);
    expect((await requestOf(scoped)).status).toBe('approved');
  });

  it('updates the message when the request is decided elsewhere, or expires', async () => {
    const web = await submit(unowned, `${REVIEW} # on the web`);
    const message = await messageOf(web);
    await gh.api(`/v1/requests/${web}/decisions`, {
      token: people.dana!.token,
      body: { decision: 'approve' },
    });
    await eventually(
      () => message,
      (m) => JSON.stringify(m.blocks).includes('Approved* by dana@example.com'),
    );
    // A click on the stale message after that is refused by the decide path, and said so.
    expect((await click('U0BOB', 'gatehouse.approve', web, message)).status).toBe(200);
    await ephemeralTo('U0BOB', 'already approved');

    const late = await submit(unowned, `${REVIEW} # nobody came`);
    const lateMessage = await messageOf(late);
    await query(gh.database.url, "update requests set deadline = now() - interval '1 second' where id = $1", [
      late,
    ]);
    expect(await expireRequest(gh.running.runtime, late)).toBe(true);
    await eventually(
      () => lateMessage,
      (m) => JSON.stringify(m.blocks).includes('Expired'),
    );
    expect(lateMessage.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('sends the admin page’s sample message, whose button tells a person who they are in Gatehouse', async () => {
    const status = await gh.api('/v1/slack', { token: gh.adminToken });
    expect(status.body).toMatchObject({
      configured: true,
      interactivityPath: '/v1/slack/interactions',
      defaultChannel: 'C0DEFAULT',
      routes: { 'group:dba': 'C0DBA', 'environment:prod': 'C0PROD' },
    });
    expect(JSON.stringify(status.body)).not.toContain(signingSecret);
    expect(JSON.stringify(status.body)).not.toContain(slack.token);
    const sent = await gh.api('/v1/slack/test', { token: gh.adminToken, body: {} });
    expect(sent.status).toBe(200);
    expect(sent.body.channel).toBe('C0DEFAULT');
    const sample = slack.messages.find((m) => m.ts === sent.body.ts)!;
    expect(JSON.stringify(sample.blocks)).toContain('gatehouse.sample');
    expect((await click('U0ALICE', 'gatehouse.sample', 'sample', sample)).status).toBe(200);
    await ephemeralTo('U0ALICE', 'maps to alice@example.com');
    expect((await click('U0EVE', 'gatehouse.sample', 'sample', sample)).status).toBe(200);
    await ephemeralTo('U0EVE', 'maps to no Gatehouse approver');

    slack.failNext('chat.postMessage', 'channel_not_found');
    const failed = await gh.api('/v1/slack/test', { token: gh.adminToken, body: { channel: 'C0GONE' } });
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({
      code: 'SLACK_UNAVAILABLE',
      message: expect.stringContaining('channel_not_found'),
    });
    expect((await gh.api('/v1/slack/test', { token: people.alice!.token, body: {} })).status).toBe(403);
  });

  it('posts, from the sweep, what a lost job never posted, and refreshes a message left stale', async () => {
    const url = gh.database.url;
    const id = await submit(unowned, `${REVIEW} # swept`);
    const message = await messageOf(id);
    // As if the post had never happened (its job lost with its process), five seconds ago.
    await query(url, 'delete from slack_messages where request_id = $1', [id]);
    await query(url, "update requests set created_at = created_at - interval '10 seconds' where id = $1", [
      id,
    ]);
    expect(await reconcileSlack(gh.running.runtime)).toBeGreaterThanOrEqual(1);
    await eventually(
      () => slack.messages.filter((m) => JSON.stringify(m.blocks).includes(id)).length,
      (n) => n === 2,
    );
    // As if an update had been lost: the message shows an older state than the request's.
    await gh.api(`/v1/requests/${id}/decisions`, { token: people.bob!.token, body: { decision: 'approve' } });
    const reposted = slack.messages.filter((m) => JSON.stringify(m.blocks).includes(id)).at(-1)!;
    await eventually(
      () => reposted,
      (m) => JSON.stringify(m.blocks).includes('Approved* by bob@example.com'),
    );
    const updates = reposted.updates;
    await query(
      url,
      "update slack_messages set rendered = 'pending:0', updated_at = now() - interval '1 minute' where request_id = $1",
      [id],
    );
    expect(await reconcileSlack(gh.running.runtime)).toBeGreaterThanOrEqual(1);
    await eventually(
      () => reposted.updates,
      (n) => n > updates,
    );
    expect(message.channel).toBe(reposted.channel);
  });

  it('posts again after a failed post, and keeps one message per channel', async () => {
    slack.failNext('chat.postMessage', 'ratelimited');
    const id = await submit(unowned, `${REVIEW} # retried`);
    const message = await messageOf(id);
    expect(message.channel).toBe('C0DEFAULT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.messages.filter((m) => JSON.stringify(m.blocks).includes(id))).toHaveLength(1);
  });
});
