import type { AutoApprovalAnswer, DriftAnswer, InsightSummary, MixAnswer } from '@gatehouse/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, query } from '../../api.ts';
import { formatTime } from '../../format.ts';
import { useLiveEvents } from '../../live-context.tsx';
import { navigate, onLinkClick, useLocation } from '../../router.ts';
import { hasRole, useSession } from '../../session.tsx';
import { messageOf } from '../useList.ts';
import { AuditAlarmBanner } from './AuditAlarm.tsx';
import { BarTable } from './BarTable.tsx';
import { Baselines } from './Baselines.tsx';
import { download, percent, seconds, toCsv } from './csv.ts';
import { DriftBanner } from './DriftBanner.tsx';
import { MixPanel } from './MixPanel.tsx';
import { RangePicker } from './RangePicker.tsx';
import { RateChart } from './RateChart.tsx';
import { type ConsoleView, parseView, viewSearch, viewSpan } from './range.ts';
import { type PanelView, ViewToggle } from './ViewToggle.tsx';

const SPLITS = [
  { id: '', label: 'overall' },
  { id: 'agentType', label: 'by agent type' },
  { id: 'environment', label: 'by environment' },
  { id: 'agent', label: 'by agent' },
] as const;
/** Live events arrive per request; the console refetches at most this often. */
const LIVE_REFRESH_MS = 3_000;

interface Loaded {
  rates: AutoApprovalAnswer;
  summary: InsightSummary;
  mix: MixAnswer;
  drift: DriftAnswer;
}

/** `invalid`: the server refused the range (400); its message is shown by the range picker. */
type State =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'invalid'; message: string }
  | ({ state: 'ready' } & Loaded);

/**
 * The security console: what the whitelist and the policy let through without a person,
 * over time, and whether that share is drifting. Read from the server's rollups.
 */
export function Dashboard() {
  const { user } = useSession();
  const canAcknowledge = hasRole(user, 'auditor') || hasRole(user, 'admin');
  const { search } = useLocation();
  const { range, from: fromDay, to: toDay, bucket, split } = parseView(search);
  const change = (next: Partial<ConsoleView>) =>
    navigate(`/console${viewSearch({ ...parseView(search), ...next })}`, { replace: true });
  const [view, setView] = useState<PanelView>('chart');
  const [data, setData] = useState<State>({ state: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const generation = useRef(0);

  const load = useCallback(
    async (quiet: boolean) => {
      const mine = ++generation.current;
      if (!quiet) setData({ state: 'loading' });
      else setRefreshing(true);
      const { from, to } = viewSpan({ range, from: fromDay, to: toDay, bucket, split });
      const span = query({ from: from.toISOString(), to: to.toISOString() });
      try {
        const [rates, summary, mix, drift] = await Promise.all([
          api.get<AutoApprovalAnswer>(
            `/v1/insights/auto-approval${query({ from: from.toISOString(), to: to.toISOString(), bucket, by: split })}`,
          ),
          api.get<InsightSummary>(`/v1/insights/summary${span}`),
          api.get<MixAnswer>(
            `/v1/insights/mix${query({ from: from.toISOString(), to: to.toISOString(), bucket })}`,
          ),
          api.get<DriftAnswer>('/v1/insights/drift'),
        ]);
        if (mine === generation.current) setData({ state: 'ready', rates, summary, mix, drift });
      } catch (failure) {
        if (mine !== generation.current) return;
        // A refused range is the reviewer's to fix, even on a quiet refresh: say so by the picker.
        if (failure instanceof ApiError && failure.status === 400)
          setData({ state: 'invalid', message: failure.message });
        else if (!quiet) setData({ state: 'error', message: messageOf(failure) });
      } finally {
        if (mine === generation.current) setRefreshing(false);
      }
    },
    [range, fromDay, toDay, bucket, split],
  );

  useEffect(() => {
    void load(false);
  }, [load]);

  // Live: new and closed requests reach the rollups on the server's next round; refetch quietly.
  const pendingRefresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLiveEvents((message) => {
    if (
      message.type !== 'request.created' &&
      message.type !== 'request.updated' &&
      message.type !== 'reconnected'
    )
      return;
    if (pendingRefresh.current) return;
    pendingRefresh.current = setTimeout(() => {
      pendingRefresh.current = null;
      void load(true);
    }, LIVE_REFRESH_MS);
  });
  useEffect(() => {
    const timer = setInterval(() => void load(true), 60_000);
    return () => {
      clearInterval(timer);
      if (pendingRefresh.current) clearTimeout(pendingRefresh.current);
    };
  }, [load]);

  return (
    <section className="console-page" aria-labelledby="console-title" aria-busy={data.state === 'loading'}>
      <div className="console-head">
        <h1 id="console-title">Security console</h1>
        {canAcknowledge && (
          <a href="/console/backtest" onClick={onLinkClick} data-testid="backtest-link">
            Backtest a policy
          </a>
        )}
        <form
          className="console-controls"
          onSubmit={(e) => e.preventDefault()}
          aria-label="Time range and split"
        >
          <RangePicker
            view={{ range, from: fromDay, to: toDay, bucket, split }}
            onChange={change}
            problem={data.state === 'invalid' ? data.message : null}
          />
          <label>
            Bucket{' '}
            <select value={bucket} onChange={(e) => change({ bucket: e.target.value as typeof bucket })}>
              <option value="hour">hour</option>
              <option value="day">day</option>
              <option value="week">week</option>
            </select>
          </label>
          <label>
            Split{' '}
            <select value={split} onChange={(e) => change({ split: e.target.value as typeof split })}>
              {SPLITS.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <span className="muted small" role="status">
            {refreshing
              ? 'updating…'
              : data.state === 'ready' && data.rates.updatedAt
                ? `as of ${formatTime(data.rates.updatedAt)}`
                : ''}
          </span>
        </form>
      </div>

      {data.state === 'loading' && (
        <div className="console-skeleton" role="status">
          <p>Loading the auto-approval rates…</p>
          <div className="skeleton-block" />
        </div>
      )}
      {data.state === 'error' && (
        <div className="error" role="alert">
          <p>The console could not be loaded: {data.message}</p>
          <button type="button" onClick={() => void load(false)}>
            Try again
          </button>
        </div>
      )}
      {data.state === 'invalid' && (
        <div className="empty panel" data-testid="console-invalid">
          <h2>This range cannot be shown</h2>
          <p>Choose another range or a larger bucket above; the server’s reason is shown beside the dates.</p>
        </div>
      )}
      {data.state === 'ready' && (
        <Ready
          {...data}
          view={view}
          setView={setView}
          canAcknowledge={canAcknowledge}
          reload={() => void load(true)}
        />
      )}
    </section>
  );
}

function Ready({
  rates,
  summary,
  mix,
  drift,
  view,
  setView,
  canAcknowledge,
  reload,
}: Loaded & {
  view: PanelView;
  setView: (v: PanelView) => void;
  canAcknowledge: boolean;
  reload: () => void;
}) {
  const exportRates = () => {
    const rows = rates.series.flatMap((s) =>
      s.buckets.map((b) => [
        s.key,
        s.label,
        b.start,
        b.total,
        b.autoApproved,
        b.rate === null ? '' : b.rate.toFixed(4),
      ]),
    );
    download(
      `auto-approval-${rates.bucket}.csv`,
      toCsv(['key', 'label', 'bucket_start', 'total', 'auto_approved', 'rate'], rows),
    );
  };
  const decided =
    summary.outcomes.approved +
    summary.outcomes.rejected +
    summary.outcomes.expired +
    summary.outcomes.cancelled;
  return (
    <>
      <AuditAlarmBanner />
      <DriftBanner alarms={drift.alarms} canAcknowledge={canAcknowledge} onAcknowledged={reload} />
      {drift.alarms.length === 0 && (
        <p className="ok small" data-testid="no-drift">
          No drift alarm: every agent type × environment is within {percent(drift.thresholds.ceiling, 0)} and{' '}
          {drift.thresholds.risePoints} points of its {drift.thresholds.baselineDays}-day baseline
          {drift.thresholds.fromPolicy.length > 0 ? ' (thresholds set in the policy file)' : ''}.
        </p>
      )}

      <dl className="kpis">
        <div className="kpi">
          <dt className="kpi-label">Requests</dt>
          <dd className="kpi-value">{summary.total.toLocaleString()}</dd>
        </div>
        <div className="kpi">
          <dt className="kpi-label">Auto-approved</dt>
          <dd className="kpi-value" data-testid="kpi-rate">
            {percent(summary.rate)}
          </dd>
        </div>
        <div className="kpi">
          <dt className="kpi-label">Waiting for people</dt>
          <dd className="kpi-value">{summary.outcomes.pending.toLocaleString()}</dd>
        </div>
        <div className="kpi">
          <dt className="kpi-label">Time to decision p50 / p90</dt>
          <dd className="kpi-value">
            {seconds(summary.decisionLatency.p50Seconds)} / {seconds(summary.decisionLatency.p90Seconds)}
          </dd>
        </div>
      </dl>

      {summary.total === 0 ? (
        <div className="empty panel" data-testid="console-empty">
          <h2>No requests in this range</h2>
          <p>
            Once agents submit commands, their auto-approval rate appears here within a few seconds. Choose a
            longer range, or check that agents reach this Gatehouse.
          </p>
        </div>
      ) : (
        <section className="panel" aria-labelledby="rate-title">
          <div className="panel-head">
            <h2 id="rate-title">Auto-approval rate per {rates.bucket}</h2>
            <ViewToggle view={view} onView={setView} onCsv={exportRates} />
          </div>
          {view === 'chart' ? (
            <RateChart series={rates.series} label={`Auto-approval rate per ${rates.bucket}`} />
          ) : (
            <RateTable rates={rates} />
          )}
        </section>
      )}
      {summary.total > 0 && <MixPanel mix={mix} />}

      <div className="console-grid">
        <BarTable
          title="Tier mix"
          file="tiers"
          keyLabel="tier"
          rows={Object.entries(summary.tiers).map(([key, count]) => ({ key, count }))}
          empty="No requests."
        />
        <BarTable
          title={`Outcomes of requests sent to people (${decided.toLocaleString()} closed)`}
          file="outcomes"
          keyLabel="outcome"
          rows={Object.entries(summary.outcomes).map(([key, count]) => ({ key, count }))}
          empty="No request went to people."
        />
        <BarTable
          title="Top auto-approved command families"
          file="families"
          keyLabel="family"
          rows={summary.topFamilies}
          empty="Nothing was auto-approved."
        />
        <BarTable
          title="Whitelist entries with the most hits"
          file="whitelist-hits"
          keyLabel="entry"
          rows={summary.topWhitelist}
          empty="No whitelist entry lowered a request."
        />
        <BarTable
          title="Most frequent risk reasons"
          file="reasons"
          keyLabel="rule"
          rows={summary.topReasons}
          empty="No reasons recorded."
        />
      </div>
      <Baselines refreshKey={summary.total} />
    </>
  );
}

function RateTable({ rates }: { rates: AutoApprovalAnswer }) {
  const starts = rates.series[0]?.buckets.map((b) => b.start) ?? [];
  return (
    <div className="scroll-x">
      <table className="grid" data-testid="rate-table">
        <caption className="sr-only">Auto-approval rate per {rates.bucket}: auto-approved of total</caption>
        <thead>
          <tr>
            <th scope="col">{rates.bucket} (UTC)</th>
            {rates.series.map((s) => (
              <th scope="col" key={s.key}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {starts.map((start, i) => (
            <tr key={start}>
              <th scope="row" className="nowrap">
                {start.slice(0, rates.bucket === 'hour' ? 16 : 10).replace('T', ' ')}
              </th>
              {rates.series.map((s) => {
                const b = s.buckets[i]!;
                return (
                  <td key={s.key} className="num">
                    {percent(b.rate)}{' '}
                    <span className="muted small">{b.total > 0 ? `${b.autoApproved}/${b.total}` : ''}</span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
