import type { ConnectionGrantView, ConnectionView } from '@gatehouse/contract';
import { adminGet, adminPost, adminTarget } from '../admin-api.ts';
import { CliError, type CommandIO } from '../io.ts';

type Target = { url?: string; token?: string };

/** `gatehouse connections list`: where each connection points and who may use it; never a login. */
export async function list(options: Target & { json?: boolean }, io: CommandIO): Promise<number> {
  const target = adminTarget(options);
  const { items } = await adminGet<{ items: ConnectionView[] }>(
    target,
    '/v1/connections',
    'listing connections',
  );
  const rows = await Promise.all(
    items.map(async (c) => {
      const grants = await adminGet<{ items: ConnectionGrantView[] }>(
        target,
        `/v1/connections/${encodeURIComponent(c.name)}/grants`,
        `listing the grants of ${c.name}`,
      );
      return { ...c, grants: grants.items };
    }),
  );
  if (options.json) {
    for (const row of rows) io.stdout.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout.write('no connections\n');
    return 0;
  }
  for (const c of rows) {
    const who = c.grants.map((g) => (g.agentId ? `agent ${g.agentId}` : `type ${g.agentType}`));
    io.stdout.write(
      `${c.name}\t${c.engine}\t${c.host}:${c.port}/${c.database}` +
        `${c.environment ? `\tenvironment ${c.environment}` : ''}\tgranted to: ${who.length ? who.join(', ') : 'nobody'}\n`,
    );
  }
  return 0;
}

export interface AddOptions extends Target {
  engine: 'postgresql' | 'mysql' | 'mariadb';
  host: string;
  port?: number;
  database: string;
  user: string;
  passwordStdin?: boolean;
  description?: string;
  environment?: string;
}

const DEFAULT_PORTS = { postgresql: 5432, mysql: 3306, mariadb: 3306 } as const;

/**
 * The password never comes from a flag, which other users of the machine can read in the
 * process list: from stdin with --password-stdin, else from GATEHOUSE_CONNECTION_PASSWORD.
 */
async function readPassword(options: AddOptions, io: CommandIO): Promise<string> {
  if (options.passwordStdin) {
    let text = '';
    for await (const chunk of io.stdin) text += chunk.toString();
    return text.replace(/\r?\n$/, '');
  }
  const fromEnv = process.env.GATEHOUSE_CONNECTION_PASSWORD;
  if (fromEnv === undefined)
    throw new CliError('no password: pass --password-stdin, or set GATEHOUSE_CONNECTION_PASSWORD');
  return fromEnv;
}

/** `gatehouse connections add <name>`: registers a connection; the answer carries no login. */
export async function add(name: string, options: AddOptions, io: CommandIO): Promise<number> {
  const password = await readPassword(options, io);
  const created = await adminPost<ConnectionView>(
    adminTarget(options),
    '/v1/connections',
    'registering the connection',
    {
      name,
      engine: options.engine,
      host: options.host,
      port: options.port ?? DEFAULT_PORTS[options.engine],
      database: options.database,
      user: options.user,
      password,
      ...(options.description ? { description: options.description } : {}),
      ...(options.environment ? { environment: options.environment } : {}),
    },
  );
  io.stdout.write(
    `registered ${created.name} (${created.engine} ${created.host}:${created.port}/${created.database})\n`,
  );
  return 0;
}

/** `gatehouse connections grant <name> --agent <id> | --agent-type <type>`. */
export async function grant(
  name: string,
  options: Target & { agent?: string; agentType?: string },
  io: CommandIO,
): Promise<number> {
  if (Boolean(options.agent) === Boolean(options.agentType))
    throw new CliError('name exactly one of --agent <id> and --agent-type <type>');
  const granted = await adminPost<ConnectionGrantView>(
    adminTarget(options),
    `/v1/connections/${encodeURIComponent(name)}/grants`,
    'granting the connection',
    options.agent ? { agentId: options.agent } : { agentType: options.agentType },
  );
  io.stdout.write(
    `granted ${granted.connection} to ${granted.agentId ? `agent ${granted.agentId}` : `every agent of type ${granted.agentType}`} (${granted.id})\n`,
  );
  return 0;
}
