// Reading V8 .cpuprofile files (what `node --cpu-prof` writes): self time by area or function,
// and a flame graph as a standalone SVG, so docs can show one without a browser tool.

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  /** The node on top of the stack at each sample, and the µs since the previous sample. */
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * The profile of the last `seconds` only: start-up (module loading, compiling) and warm-up are
 * not the steady state a benchmark asks about.
 */
export function lastSeconds(profile: Profile, seconds: number): Profile {
  const { samples = [], timeDeltas = [] } = profile;
  const times: number[] = [];
  let t = 0;
  for (const delta of timeDeltas) {
    t += delta;
    times.push(t);
  }
  const from = t - seconds * 1e6;
  const hits = new Map<number, number>();
  samples.forEach((id, i) => {
    if (times[i]! >= from) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return { nodes: profile.nodes.map((node) => ({ ...node, hitCount: hits.get(node.id) ?? 0 })) };
}

/** Where a frame's code lives: a package of ours by folder, a dependency, Node itself, or V8. */
export function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  const dependency = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (dependency) return dependency[1]!;
  const ours = url.match(/\/(packages|apps)\/([^/]+)\/src\/(?:([^/]+)\/)?/);
  if (ours) return `${ours[1]}/${ours[2]}${ours[3] ? `/${ours[3]}` : ''}`;
  const internal = url.match(/^node:(?:internal\/)?([^/]+)/);
  if (internal) return `node:${internal[1]}`;
  return 'other';
}

function functionOf(frame: ProfileNode['callFrame']): string {
  const file = frame.url.split('/').pop() ?? '';
  return `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
}

/** Self time per key as a share of the busy samples (idle excluded), largest first. */
export function selfTimeBy(profile: Profile, by: 'area' | 'function'): { key: string; percent: number }[] {
  const totals = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += hits;
    const key = by === 'area' ? areaOf(node.callFrame) : functionOf(node.callFrame);
    totals.set(key, (totals.get(key) ?? 0) + hits);
  }
  return [...totals]
    .map(([key, hits]) => ({ key, percent: (hits / Math.max(busy, 1)) * 100 }))
    .sort((a, b) => b.percent - a.percent);
}

const WIDTH = 1200;
const ROW = 16;

/** A flame graph (callers below, callees above the root) of the busy samples, one rect per frame. */
export function flameGraphSvg(profile: Profile, title: string): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = new Map<number, number>();
  const sum = (node: ProfileNode): number => {
    if (node.callFrame.functionName === '(idle)') return 0;
    let hits = node.hitCount ?? 0;
    for (const child of node.children ?? []) hits += sum(byId.get(child)!);
    total.set(node.id, hits);
    return hits;
  };
  const root = profile.nodes[0]!;
  const rootHits = Math.max(sum(root), 1);
  const rects: string[] = [];
  let depthMax = 0;
  const draw = (node: ProfileNode, x: number, depth: number) => {
    const width = ((total.get(node.id) ?? 0) / rootHits) * WIDTH;
    if (width < 0.3) return;
    depthMax = Math.max(depthMax, depth);
    const label = node === root ? 'all' : functionOf(node.callFrame);
    const area = node === root ? 'all' : areaOf(node.callFrame);
    const share = (((total.get(node.id) ?? 0) / rootHits) * 100).toFixed(1);
    rects.push(
      `<g><title>${escapeXml(`${label} [${area}] ${share}%`)}</title>` +
        `<rect x="${x.toFixed(1)}" y="{y${depth}}" width="${width.toFixed(1)}" height="${ROW - 1}" fill="${colour(area)}"/>` +
        (width > 40
          ? `<text x="${(x + 3).toFixed(1)}" y="{t${depth}}" font-size="11" font-family="monospace">${escapeXml(label.slice(0, Math.floor(width / 7)))}</text>`
          : '') +
        '</g>',
    );
    let childX = x;
    for (const id of node.children ?? []) {
      const child = byId.get(id)!;
      draw(child, childX, depth + 1);
      childX += ((total.get(id) ?? 0) / rootHits) * WIDTH;
    }
  };
  draw(root, 0, 0);
  const height = (depthMax + 1) * ROW + 24;
  // Depth 0 at the bottom: y is known only once the deepest frame is.
  const body = rects
    .join('\n')
    .replace(/\{y(\d+)\}/g, (_, d) => String(height - (Number(d) + 1) * ROW))
    .replace(/\{t(\d+)\}/g, (_, d) => String(height - (Number(d) + 1) * ROW + 11));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
<title>${escapeXml(title)}</title>
<text x="4" y="14" font-size="13" font-family="sans-serif">${escapeXml(title)} (hover a frame for its share)</text>
${body}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A stable warm colour per area, so one package reads as one hue across the graph. */
function colour(area: string): string {
  let hash = 0;
  for (const char of area) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  const hue = Math.abs(hash) % 60;
  return `hsl(${hue}, 75%, ${55 + (Math.abs(hash >> 8) % 20)}%)`;
}
