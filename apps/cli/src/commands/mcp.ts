import { readFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createClient } from '../integrations/client.ts';
import { loadAgentConfig } from '../integrations/config.ts';
import { createMcpServer } from '../integrations/mcp-server.ts';
import type { CommandIO } from '../io.ts';

/** `gatehouse mcp`: serves until the client closes stdin. */
export async function mcp(io: CommandIO): Promise<number> {
  // A configuration error ends the process with a message on stderr, which MCP clients show;
  // a server that started without a Gatehouse would only have refusals to give.
  const config = loadAgentConfig();
  const client = createClient(config, io.stderr);
  const server = createMcpServer(client, config, version());
  const transport = new StdioServerTransport(
    io.stdin as NodeJS.ReadableStream & import('node:stream').Readable,
    io.stdout as NodeJS.WritableStream & import('node:stream').Writable,
  );
  transport.onclose = () => client.close();
  // The client closing our stdin is the end of the session.
  io.stdin.once('end', () => {
    void server.close();
  });
  await server.connect(transport);
  io.stderr.write(`gatehouse mcp: serving run_shell for ${config.url}\n`);
  return -1;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
