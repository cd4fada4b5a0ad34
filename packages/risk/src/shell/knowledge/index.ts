import { CLOUD_HANDLERS } from './cloud.ts';
import { CLUSTER_HANDLERS } from './cluster.ts';
import { CONTAINER_HANDLERS } from './containers.ts';
import { DATABASE_HANDLERS } from './databases.ts';
import { DEPLOY_HANDLERS } from './deploy.ts';
import { ESCAPE_HANDLERS } from './escapes.ts';
import { FILE_HANDLERS } from './files.ts';
import { GIT_HANDLERS } from './git.ts';
import { interpreterHandlers } from './interpreters.ts';
import { NAVIGATION_HANDLERS } from './navigation.ts';
import { NETWORK_HANDLERS } from './network.ts';
import { NETWORK_CONFIG_HANDLERS } from './network-config.ts';
import { PACKAGE_HANDLERS } from './packages.ts';
import { SYSTEM_HANDLERS } from './system.ts';
import type { Handler } from './types.ts';

/** Every program the analyzer has knowledge of. A program in several tables runs every handler. */
function merge(...tables: Record<string, Handler>[]): Map<string, Handler> {
  const out = new Map<string, Handler>();
  for (const table of tables) {
    for (const [name, handler] of Object.entries(table)) {
      const existing = out.get(name);
      out.set(
        name,
        existing
          ? (inv) => {
              const first = existing(inv);
              const second = handler(inv);
              return first ?? second;
            }
          : handler,
      );
    }
  }
  return out;
}

export const KNOWLEDGE: ReadonlyMap<string, Handler> = merge(
  FILE_HANDLERS,
  GIT_HANDLERS,
  CLUSTER_HANDLERS,
  CLOUD_HANDLERS,
  CONTAINER_HANDLERS,
  SYSTEM_HANDLERS,
  NETWORK_HANDLERS,
  PACKAGE_HANDLERS,
  DATABASE_HANDLERS,
  interpreterHandlers(),
  ESCAPE_HANDLERS,
  NAVIGATION_HANDLERS,
  NETWORK_CONFIG_HANDLERS,
  DEPLOY_HANDLERS,
);
