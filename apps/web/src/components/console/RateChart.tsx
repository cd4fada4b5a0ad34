import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RateSeries } from '@gatehouse/contract';

const PALETTE = ['#2457c5', '#c0262d', '#1a7f37', '#9a6700', '#8250df', '#0a7f8f', '#bf3989', '#57606a'];

/**
 * The auto-approval rate over time, one line per series, drawn by uPlot on a canvas. The
 * canvas says nothing to a screen reader: the figure carries a text summary, and the table
 * view beside it holds every number.
 */
export function RateChart({ series, label }: { series: RateSeries[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element || series.length === 0) return;
    const xs = series[0]!.buckets.map((b) => Date.parse(b.start) / 1000);
    const data: uPlot.AlignedData = [
      xs,
      ...series.map((s) =>
        s.buckets.map((b) => (b.rate === null ? null : Math.round(b.rate * 10_000) / 100)),
      ),
    ];
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: 280,
      scales: { y: { range: [0, 100] } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`), size: 50 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${v.toFixed(1)}%`),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
    const chart = new uPlot(options, data, element);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, element.clientWidth), height: 280 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [series]);

  const summary = series
    .slice(0, 5)
    .map((s) => `${s.label}: ${s.rate === null ? 'no requests' : `${(s.rate * 100).toFixed(1)}%`}`)
    .join('; ');
  return (
    <figure className="chart" aria-label={label}>
      <div ref={host} className="chart-canvas" data-testid="rate-chart" />
      <figcaption className="muted small">{summary}</figcaption>
    </figure>
  );
}
