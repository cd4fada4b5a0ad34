import type { MixBucket } from '@gatehouse/contract';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { seconds } from './csv.ts';

/**
 * Time to decision p50 and p90 per bucket, as two lines. A bucket in which nobody closed a
 * request is a gap: no decision is not a fast one.
 */
export function LatencyChart({ buckets, label }: { buckets: MixBucket[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element || buckets.length === 0) return;
    const data: uPlot.AlignedData = [
      buckets.map((b) => Date.parse(b.start) / 1000),
      buckets.map((b) => b.decisionLatency.p50Seconds),
      buckets.map((b) => b.decisionLatency.p90Seconds),
    ];
    const line = (name: string, color: string, dash?: number[]) => ({
      label: name,
      stroke: color,
      width: 2,
      ...(dash ? { dash } : {}),
      spanGaps: false,
      value: (_u: uPlot, v: number | null) => seconds(v),
    });
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 200,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => seconds(t)) }],
        series: [{}, line('p50', '#2457c5'), line('p90', '#9a6700', [6, 4])],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, element.clientWidth), height: 200 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [buckets]);

  const decided = buckets.reduce((n, b) => n + b.decisionLatency.count, 0);
  return (
    <figure className="chart" aria-label={label}>
      <div ref={host} className="chart-canvas" data-testid="latency-chart" />
      <figcaption className="muted small">
        {decided === 0
          ? 'No request was closed by people in this range.'
          : `${decided.toLocaleString()} closed by people; every bucket’s p50 and p90 are in the table view.`}
      </figcaption>
    </figure>
  );
}
