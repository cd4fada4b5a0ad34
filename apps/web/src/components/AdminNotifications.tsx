import { AdminSlack } from './AdminSlack.tsx';
import { AdminWebhooks } from './AdminWebhooks.tsx';

/** Reaching approvers outside the queue tab: outbound webhooks and Slack approvals. */
export function AdminNotifications() {
  return (
    <div className="notifications">
      <AdminWebhooks />
      <AdminSlack />
    </div>
  );
}
