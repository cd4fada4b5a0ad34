import { actorOf, type Principal } from '../auth/principal.ts';
import type { Runtime } from '../platform/runtime.ts';
import { exportIncident, type IncidentFilter } from './export.ts';

/** One file of the bundle, with the exact text `gatehouse incident export` writes to disk. */
export interface BundleFile {
  name: string;
  content: string;
}

/** The incident bundle for a caller who cannot open the database themselves. */
export async function incidentBundle(rt: Runtime, by: Principal, filter: IncidentFilter) {
  const files: BundleFile[] = [];
  const manifest = await exportIncident(
    rt.database.db,
    await rt.keys.trustedPublicKeys('audit'),
    filter,
    async (name, lines) => {
      let content = '';
      for await (const line of lines) content += line;
      files.push({ name, content });
    },
  );
  // Recorded after the bundle is built, and about the agent only in its data: as an event
  // on the agent it would fall into the agent's next bundle as an event newer than any
  // checkpoint, and that bundle's audit slice would not verify until the next checkpoint.
  await rt.audit.append({
    type: 'incident.exported',
    actor: actorOf(by),
    data: {
      agent: filter.agentId,
      since: filter.since.toISOString(),
      files: files.length,
      ok: manifest.audit.ok,
    },
  });
  return { manifest, files };
}
