import type { MixAnswer } from '@gatehouse/contract';
import { useMemo, useState } from 'react';
import { download, seconds, toCsv } from './csv.ts';
import { LatencyChart } from './LatencyChart.tsx';
import { StackChart, type StackLayer } from './StackChart.tsx';
import { type PanelView, ViewToggle } from './ViewToggle.tsx';

const TIERS = [
  { key: 'auto', color: '#1a7f37' },
  { key: 'review', color: '#2457c5' },
  { key: 'multi_party', color: '#8250df' },
  { key: 'deny', color: '#c0262d' },
] as const;
const BUCKET_SECONDS = { hour: 3600, day: 86_400, week: 604_800 } as const;
const OUTCOMES = [
  { key: 'approved', color: '#1a7f37' },
  { key: 'rejected', color: '#c0262d' },
  { key: 'expired', color: '#9a6700' },
  { key: 'cancelled', color: '#57606a' },
  { key: 'pending', color: '#0a7f8f' },
] as const;

/**
 * The tier mix, the outcomes and the time to decision per bucket: stacked charts and a line
 * chart, or one table with every number; and as CSV.
 */
export function MixPanel({ mix }: { mix: MixAnswer }) {
  const [view, setView] = useState<PanelView>('chart');
  const starts = useMemo(() => mix.buckets.map((b) => b.start), [mix]);
  const tierLayers = useMemo<StackLayer[]>(
    () =>
      TIERS.map((t) => ({ label: t.key, color: t.color, values: mix.buckets.map((b) => b.tiers[t.key]) })),
    [mix],
  );
  const outcomeLayers = useMemo<StackLayer[]>(
    () =>
      OUTCOMES.map((o) => ({
        label: o.key,
        color: o.color,
        values: mix.buckets.map((b) => b.outcomes[o.key]),
      })),
    [mix],
  );
  const exportMix = () => {
    download(
      `mix-${mix.bucket}.csv`,
      toCsv(
        [
          'bucket_start',
          'total',
          ...TIERS.map((t) => `tier_${t.key}`),
          ...OUTCOMES.map((o) => o.key),
          'decided',
          'p50_seconds',
          'p90_seconds',
        ],
        mix.buckets.map((b) => [
          b.start,
          b.total,
          ...TIERS.map((t) => b.tiers[t.key]),
          ...OUTCOMES.map((o) => b.outcomes[o.key]),
          b.decisionLatency.count,
          b.decisionLatency.p50Seconds?.toFixed(1) ?? '',
          b.decisionLatency.p90Seconds?.toFixed(1) ?? '',
        ]),
      ),
    );
  };
  return (
    <section className="panel" aria-labelledby="mix-title" data-testid="mix-panel">
      <div className="panel-head">
        <h2 id="mix-title">Tier mix and outcomes per {mix.bucket}</h2>
        <ViewToggle view={view} onView={setView} onCsv={exportMix} />
      </div>
      {view === 'chart' ? (
        <div className="mix-charts">
          <h3 className="small">Tiers the risk engine gave</h3>
          <StackChart
            starts={starts}
            bucketSeconds={BUCKET_SECONDS[mix.bucket]}
            layers={tierLayers}
            label={`Requests per ${mix.bucket} by tier`}
            testId="tier-chart"
          />
          <h3 className="small">What became of the requests sent to people</h3>
          <StackChart
            starts={starts}
            bucketSeconds={BUCKET_SECONDS[mix.bucket]}
            layers={outcomeLayers}
            label={`Outcomes per ${mix.bucket}`}
            testId="outcome-chart"
          />
          <h3 className="small">Time to decision</h3>
          <LatencyChart buckets={mix.buckets} label={`Time to decision p50 and p90 per ${mix.bucket}`} />
        </div>
      ) : (
        <MixTable mix={mix} />
      )}
    </section>
  );
}

function MixTable({ mix }: { mix: MixAnswer }) {
  return (
    <div className="scroll-x">
      <table className="grid" data-testid="mix-table">
        <caption className="sr-only">
          Requests per {mix.bucket} by tier, outcomes of those sent to people, and time to decision
        </caption>
        <thead>
          <tr>
            <th scope="col">{mix.bucket} (UTC)</th>
            <th scope="col" className="num">
              total
            </th>
            {TIERS.map((t) => (
              <th scope="col" className="num" key={t.key}>
                {t.key}
              </th>
            ))}
            {OUTCOMES.map((o) => (
              <th scope="col" className="num" key={o.key}>
                {o.key}
              </th>
            ))}
            <th scope="col" className="num">
              p50
            </th>
            <th scope="col" className="num">
              p90
            </th>
          </tr>
        </thead>
        <tbody>
          {mix.buckets.map((b) => (
            <tr key={b.start}>
              <th scope="row" className="nowrap">
                {b.start.slice(0, mix.bucket === 'hour' ? 16 : 10).replace('T', ' ')}
              </th>
              <td className="num">{b.total}</td>
              {TIERS.map((t) => (
                <td className="num" key={t.key}>
                  {b.tiers[t.key]}
                </td>
              ))}
              {OUTCOMES.map((o) => (
                <td className="num" key={o.key}>
                  {b.outcomes[o.key]}
                </td>
              ))}
              <td className="num">{seconds(b.decisionLatency.p50Seconds)}</td>
              <td className="num">{seconds(b.decisionLatency.p90Seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
