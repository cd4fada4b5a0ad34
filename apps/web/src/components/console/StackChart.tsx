import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface StackLayer {
  label: string;
  color: string;
  values: number[];
}

/**
 * Counts per bucket as stacked bars, drawn by uPlot. uPlot has no stacking of its own: each
 * layer is drawn as a bar up to the running sum of the layers beneath it, the tallest first,
 * so every later (shorter) bar covers all but its own share. The legend and the cursor read
 * the layer's own count, not the running sum.
 */
export function StackChart({
  starts,
  layers,
  bucketSeconds,
  label,
  testId,
}: {
  /** Bucket starts, ISO 8601. */
  starts: string[];
  bucketSeconds: number;
  /** Bottom layer first. */
  layers: StackLayer[];
  label: string;
  testId: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element || starts.length === 0) return;
    const xs = starts.map((s) => Date.parse(s) / 1000);
    const sums: number[][] = [];
    let running = starts.map(() => 0);
    for (const layer of layers) {
      running = running.map((n, i) => n + (layer.values[i] ?? 0));
      sums.push(running);
    }
    const order = layers.map((_, i) => layers.length - 1 - i);
    const bars = uPlot.paths.bars?.({ size: [0.8, 60], align: 1 });
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: 220,
      scales: {
        // Each bar spans its bucket from its start, so the last one needs its width inside the plot.
        x: { time: true, range: () => [xs[0]!, xs.at(-1)! + bucketSeconds] },
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
      },
      axes: [{}, { size: 50 }],
      series: [
        {},
        ...order.map((i) => ({
          label: layers[i]!.label,
          stroke: layers[i]!.color,
          fill: layers[i]!.color,
          width: 0,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
            idx === null ? '—' : (layers[i]!.values[idx] ?? 0).toLocaleString(),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(options, [xs, ...order.map((i) => sums[i]!)], element);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, element.clientWidth), height: 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [starts, layers, bucketSeconds]);

  const totals = layers.map((l) => `${l.label}: ${l.values.reduce((a, b) => a + b, 0).toLocaleString()}`);
  return (
    <figure className="chart" aria-label={label}>
      <div ref={host} className="chart-canvas" data-testid={testId} />
      <figcaption className="muted small">{totals.join('; ')}</figcaption>
    </figure>
  );
}
