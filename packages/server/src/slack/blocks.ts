import type { RequestEventData } from '@gatehouse/contract';
import type { KnownBlock, ModalView } from '@slack/web-api';

/**
 * The Block Kit messages and modal Gatehouse shows in Slack, as pure functions of the request
 * (already masked by `requestEventData`). The action ids are what the interactivity endpoint
 * answers to; the buttons carry only the request id, never anything that grants a decision:
 * who clicked is established from Slack's signed payload, and the decision goes through the
 * same `decide` as the web app's.
 */

export const ACTION = {
  approve: 'gatehouse.approve',
  reject: 'gatehouse.reject',
  sample: 'gatehouse.sample',
} as const;
export const DECIDE_CALLBACK = 'gatehouse.decide';
export const COMMENT_BLOCK = 'comment';
export const COMMENT_ACTION = 'comment';

/** Slack's limit for a section's text is 3,000 characters; the fences and escapes need some. */
const MAX_COMMAND_CHARS = 2_600;

/** Slack's mrkdwn needs &, < and > escaped everywhere (they would otherwise open links and mentions). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function codeBlock(command: string): string {
  const shown =
    command.length > MAX_COMMAND_CHARS
      ? `${command.slice(0, MAX_COMMAND_CHARS)}\n… (${command.length - MAX_COMMAND_CHARS} more characters: open it in Gatehouse)`
      : command;
  // A ``` inside the command would end the block early.
  return `\`\`\`${escapeMrkdwn(shown).replaceAll('```', '`\u200b``')}\`\`\``;
}

function slackDate(iso: string): string {
  const seconds = Math.floor(new Date(iso).getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${iso}>`;
}

const TIER_LABEL: Record<string, string> = {
  auto: 'auto',
  review: 'review (1 approver)',
  multi_party: 'multi-party (2 distinct approvers)',
  deny: 'deny',
};

/** What the message says once the request left pending: the verdict and who decided. */
export function outcomeText(data: RequestEventData): string {
  const approvers = data.decisions.filter((d) => d.decision === 'approve').map((d) => d.email);
  const rejecters = data.decisions.filter((d) => d.decision === 'reject').map((d) => d.email);
  switch (data.status) {
    case 'approved':
      return `:white_check_mark: *Approved* by ${escapeMrkdwn(approvers.join(', '))} — verdict: allow`;
    case 'rejected':
      return `:x: *Rejected* by ${escapeMrkdwn(rejecters.join(', '))} — verdict: deny`;
    case 'expired':
      return ':hourglass: *Expired*: nobody decided before the deadline — verdict: deny';
    case 'cancelled':
      return ':no_entry_sign: *Cancelled*: the agent was revoked — verdict: deny';
    default:
      return `*${escapeMrkdwn(data.status)}*`;
  }
}

/** What identifies the message's state, to tell a stale message from a current one. */
export function renderedState(data: Pick<RequestEventData, 'status' | 'decisions'>): string {
  return `${data.status}:${data.decisions.length}`;
}

export function requestMessage(data: RequestEventData): { text: string; blocks: KnownBlock[] } {
  const pending = data.status === 'pending';
  const approvals = data.decisions.filter((d) => d.decision === 'approve');
  const title = pending
    ? `Approval needed: ${data.kind} command from ${data.agent.name}`
    : `${data.kind} command from ${data.agent.name}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: codeBlock(data.command) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Tier*\n${TIER_LABEL[data.tier] ?? data.tier}` },
        { type: 'mrkdwn', text: `*Score*\n${data.score}` },
        {
          type: 'mrkdwn',
          text: `*Agent*\n${escapeMrkdwn(data.agent.name)} (${escapeMrkdwn(data.agent.type)})`,
        },
        { type: 'mrkdwn', text: `*Environment*\n${escapeMrkdwn(data.environment ?? 'not stated')}` },
        { type: 'mrkdwn', text: `*Deadline*\n${data.deadline ? slackDate(data.deadline) : 'none'}` },
        { type: 'mrkdwn', text: `*Approvals*\n${approvals.length} of ${data.requiredApprovals}` },
      ],
    },
  ];
  if (data.reasons.length > 0) {
    const lines = data.reasons
      .slice(0, 6)
      .map((r) => `• \`${escapeMrkdwn(r.rule)}\` ${escapeMrkdwn(r.detail).slice(0, 300)}`);
    if (data.reasons.length > 6) lines.push(`… and ${data.reasons.length - 6} more`);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Why*\n${lines.join('\n')}`.slice(0, 2_900) },
    });
  }
  if (pending) {
    if (approvals.length > 0) {
      blocks.push({
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Approved so far by ${escapeMrkdwn(approvals.map((a) => a.email).join(', '))}`,
          },
        ],
      });
    }
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: data.id,
          // As in the web app, one click alone decides nothing (a multi-party approval asks
          // for a comment in a modal instead).
          ...(data.tier === 'multi_party'
            ? {}
            : {
                confirm: {
                  title: { type: 'plain_text', text: 'Approve this command?' },
                  text: { type: 'plain_text', text: data.command.slice(0, 280) },
                  confirm: { type: 'plain_text', text: 'Approve' },
                  deny: { type: 'plain_text', text: 'Cancel' },
                },
              }),
        },
        {
          type: 'button',
          action_id: ACTION.reject,
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value: data.id,
        },
        ...(data.url
          ? [
              {
                type: 'button' as const,
                action_id: 'gatehouse.open',
                text: { type: 'plain_text' as const, text: 'Open in Gatehouse' },
                url: data.url,
              },
            ]
          : []),
      ],
    });
  } else {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: outcomeText(data) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Gatehouse request \`${data.id}\`` }] });
  const text = pending
    ? `Approval needed (${data.tier}, score ${data.score}): ${data.command.slice(0, 200)}`
    : `${data.status}: ${data.command.slice(0, 200)}`;
  return { text, blocks };
}

/** Where the modal's submission must go back to: the request, the decision, the message. */
export interface ModalMetadata {
  requestId: string;
  decision: 'approve' | 'reject';
}

/** The comment a reject (and a multi-party approval) needs, asked in a modal. */
export function decisionModal(data: RequestEventData, decision: 'approve' | 'reject'): ModalView {
  const metadata: ModalMetadata = { requestId: data.id, decision };
  const verb = decision === 'approve' ? 'Approve' : 'Reject';
  return {
    type: 'modal',
    callback_id: DECIDE_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: `${verb} request` },
    submit: { type: 'plain_text', text: verb },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock(data.command) } },
      {
        type: 'input',
        block_id: COMMENT_BLOCK,
        label: { type: 'plain_text', text: decision === 'reject' ? 'Why do you reject it?' : 'Your comment' },
        element: {
          type: 'plain_text_input',
          action_id: COMMENT_ACTION,
          multiline: true,
          min_length: 1,
          max_length: 2_000,
        },
      },
    ],
  };
}

/** The Slack test of the admin page: what a pending request looks like, with a button that checks the link. */
export function sampleMessage(): { text: string; blocks: KnownBlock[] } {
  return {
    text: 'Gatehouse test message: Slack approvals are connected.',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Gatehouse is connected' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            'Pending requests routed to this channel appear like this, with *Approve* and *Reject* buttons. ' +
            'This is a test: press the button to see which Gatehouse approver your Slack account maps to.',
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock('systemctl restart nginx') } },
      {
        type: 'actions',
        block_id: 'sample',
        elements: [
          {
            type: 'button',
            action_id: ACTION.sample,
            text: { type: 'plain_text', text: 'Who am I in Gatehouse?' },
            value: 'sample',
          },
        ],
      },
    ],
  };
}
