import type { RequestEventData } from '@gatehouse/contract';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../src/config.ts';
import { decisionModal, escapeMrkdwn, requestMessage } from '../src/slack/blocks.ts';
import { slackSignature, verifySlackSignature } from '../src/slack/signature.ts';

// Slack's worked example (api.slack.com, "Verifying requests from Slack").
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
  '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
  '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
  '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe('Slack request signatures (v0)', () => {
  const at = Number(TIMESTAMP);
  const check = (headers: { timestamp?: string; signature?: string }, body = BODY, now = at + 10) =>
    verifySlackSignature(SECRET, { timestamp: headers.timestamp, signature: headers.signature }, body, now);

  it('computes and accepts Slack’s documented example', () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(check({ timestamp: TIMESTAMP, signature: SIGNATURE })).toEqual({ ok: true });
  });

  it('refuses anything else', () => {
    const refuse = (what: ReturnType<typeof check>) => expect(what.ok).toBe(false);
    refuse(check({ timestamp: TIMESTAMP, signature: SIGNATURE }, `${BODY}&x=1`));
    refuse(check({ timestamp: TIMESTAMP, signature: SIGNATURE.replace(/.$/, '4') }));
    refuse(check({ timestamp: String(at + 1), signature: SIGNATURE }));
    refuse(check({ timestamp: TIMESTAMP, signature: SIGNATURE.toUpperCase() }));
    refuse(check({ timestamp: TIMESTAMP, signature: SIGNATURE.replace('v0=', 'v1=') }));
    refuse(check({ timestamp: TIMESTAMP, signature: SIGNATURE.slice(0, -2) }));
    refuse(check({ timestamp: TIMESTAMP }));
    refuse(check({ signature: SIGNATURE }));
    refuse(check({ timestamp: `${TIMESTAMP}.5`, signature: SIGNATURE }));
    refuse(verifySlackSignature('another-secret', { timestamp: TIMESTAMP, signature: SIGNATURE }, BODY, at));
  });

  it('accepts five minutes of clock difference either way, and no more', () => {
    const headers = { timestamp: TIMESTAMP, signature: SIGNATURE };
    expect(check(headers, BODY, at + 300).ok).toBe(true);
    expect(check(headers, BODY, at - 300).ok).toBe(true);
    expect(check(headers, BODY, at + 301)).toEqual({ ok: false, reason: expect.stringContaining('window') });
    expect(check(headers, BODY, at - 301).ok).toBe(false);
  });
});

describe('Block Kit messages', () => {
  const data: RequestEventData = {
    id: 'req_1',
    status: 'pending',
    kind: 'shell',
    dialect: null,
    command: 'echo "<!channel> & ```" > /tmp/x',
    tier: 'multi_party',
    score: 85,
    reasons: [{ rule: 'shell.rm.recursive', detail: 'deletes <everything>' }],
    agent: { id: 'agt_1', name: 'bot <b>', type: 'ci' },
    environment: 'prod',
    requiredApprovals: 2,
    deadline: '2026-12-07T10:00:00.000Z',
    createdAt: '2026-12-07T09:45:00.000Z',
    decidedAt: null,
    decisions: [],
    url: 'https://gatehouse.example.com/requests/req_1',
  };

  it('escapes what Slack would read as mentions or links, and keeps the code block closed', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    // mrkdwn only: plain_text (the header) is shown literally by Slack.
    const text = JSON.stringify(requestMessage(data).blocks.filter((b) => b.type !== 'header'));
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<b>');
    expect(text).toContain('&lt;!channel&gt; &amp;');
    const code = requestMessage(data).blocks[1] as { text: { text: string } };
    expect(code.text.text.match(/```/g)).toHaveLength(2);
  });

  it('has Approve, Reject and a link while pending, and the verdict with who decided after', () => {
    const pending = requestMessage(data).blocks.find((b) => b.type === 'actions') as any;
    expect(pending.elements.map((e: any) => e.action_id)).toEqual([
      'gatehouse.approve',
      'gatehouse.reject',
      'gatehouse.open',
    ]);
    const decided = requestMessage({
      ...data,
      status: 'approved',
      decisions: [
        { userId: 'usr_a', email: 'a@example.com', decision: 'approve', at: data.createdAt },
        { userId: 'usr_b', email: 'b@example.com', decision: 'approve', at: data.createdAt },
      ],
    });
    expect(decided.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(decided.blocks)).toContain(
      '*Approved* by a@example.com, b@example.com — verdict: allow',
    );
  });

  it('keeps long commands within Slack’s limits', () => {
    const long = requestMessage({ ...data, command: 'x'.repeat(50_000) });
    for (const block of long.blocks) {
      const text = (block as { text?: { text: string } }).text?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(3_000);
    }
    const modal = decisionModal({ ...data, command: 'y'.repeat(50_000) }, 'reject');
    expect(JSON.stringify(modal).length).toBeLessThan(10_000);
    expect(modal.private_metadata!.length).toBeLessThan(3_000);
  });
});

describe('Slack configuration', () => {
  it('needs both the token and the signing secret, and routes by group or environment', () => {
    expect(loadConfig({}).slack).toBeUndefined();
    expect(() => loadConfig({ GATEHOUSE_SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /both GATEHOUSE_SLACK_BOT_TOKEN/,
    );
    expect(() => loadConfig({ GATEHOUSE_SLACK_SIGNING_SECRET: 's' })).toThrow(/both/);
    const slack = loadConfig({
      GATEHOUSE_SLACK_BOT_TOKEN: 'xoxb-1',
      GATEHOUSE_SLACK_SIGNING_SECRET: 'signing',
      GATEHOUSE_SLACK_CHANNELS: '{"group:dba": "C1", "environment:Prod": "C2"}',
    }).slack;
    expect(slack).toMatchObject({
      apiUrl: 'https://slack.com/api/',
      channels: { 'group:dba': 'C1', 'environment:prod': 'C2' },
      linkByEmail: true,
    });
    expect(() =>
      loadConfig({
        GATEHOUSE_SLACK_BOT_TOKEN: 'x',
        GATEHOUSE_SLACK_SIGNING_SECRET: 's',
        GATEHOUSE_SLACK_CHANNELS: '{"dba": "C1"}',
      }),
    ).toThrow(/GATEHOUSE_SLACK_CHANNELS must be a JSON object of group:/);
    // The token travels to the API URL: plain http only to this machine.
    expect(() => loadConfig({ GATEHOUSE_SLACK_API_URL: 'http://slack.example.com/api/' })).toThrow(/https/);
    const shown = describeConfig({
      GATEHOUSE_SLACK_BOT_TOKEN: 'xoxb-secret',
      GATEHOUSE_SLACK_SIGNING_SECRET: 'shh',
    });
    expect(JSON.stringify(shown)).not.toMatch(/xoxb-secret|shh/);
  });
});
