import type { AgentTypeBaseline, BaselineAnswer } from '@gatehouse/contract';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { formatTime } from '../../format.ts';
import { messageOf } from '../useList.ts';
import { download, toCsv } from './csv.ts';

type State =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'ready'; data: BaselineAnswer };

/** How many families and targets a row names before "+N more" (the CSV has them all). */
const SHOWN = 6;

/**
 * What anomaly detection judges each agent type against: learning or not, the families and
 * targets it was seen to use, its quiet hours and its usual per-minute peak. Read-only.
 */
export function Baselines({ refreshKey }: { refreshKey: number }) {
  const [state, setState] = useState<State>({ state: 'loading' });
  const load = useCallback(async () => {
    try {
      setState({ state: 'ready', data: await api.get<BaselineAnswer>('/v1/anomaly/baselines?limit=100') });
    } catch (failure) {
      setState({ state: 'error', message: messageOf(failure) });
    }
  }, []);
  // refreshKey changes when the console reloads (live events, the minute timer): reload too.
  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  return (
    <section className="panel" aria-labelledby="baselines-title" data-testid="baselines">
      <div className="panel-head">
        <h2 id="baselines-title">Anomaly baselines per agent type</h2>
        {state.state === 'ready' && (
          <button
            type="button"
            className="small"
            disabled={state.data.types.length === 0}
            onClick={() => download('anomaly-baselines.csv', baselineCsv(state.data))}
          >
            CSV
          </button>
        )}
      </div>
      {state.state === 'loading' && (
        <p className="muted" role="status">
          Loading the baselines…
        </p>
      )}
      {state.state === 'error' && (
        <div className="error" role="alert">
          <p>The baselines could not be loaded: {state.message}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {state.state === 'ready' && <BaselineTable data={state.data} />}
    </section>
  );
}

function BaselineTable({ data }: { data: BaselineAnswer }) {
  if (!data.enabled) return <p className="empty">Anomaly detection is switched off in the policy file.</p>;
  if (data.types.length === 0)
    return (
      <p className="empty">
        No baseline yet: the job folds requests in once they are 5 minutes old. Every type is learning for its
        first {data.learningRequests.toLocaleString()} requests.
      </p>
    );
  return (
    <>
      <p className="muted small">
        Over the last {data.windowDays} days; a type is learning (flags nothing) for its first{' '}
        {data.learningRequests.toLocaleString()} requests. New targets flagged:{' '}
        {data.flaggedTargets.join(', ')}.{data.updatedAt ? ` As of ${formatTime(data.updatedAt)}.` : ''}
      </p>
      <div className="scroll-x">
        <table className="grid" data-testid="baseline-table">
          <caption className="sr-only">Anomaly baselines per agent type</caption>
          <thead>
            <tr>
              <th scope="col">agent type</th>
              <th scope="col">state</th>
              <th scope="col" className="num">
                requests ({data.windowDays} d)
              </th>
              <th scope="col" className="num">
                agents
              </th>
              <th scope="col">usual peak / burst above</th>
              <th scope="col">quiet hours (UTC)</th>
              <th scope="col">command families</th>
              <th scope="col">targets</th>
            </tr>
          </thead>
          <tbody>
            {data.types.map((t) => (
              <tr key={t.agentType}>
                <th scope="row">
                  <code>{t.agentType}</code>
                </th>
                <td>
                  {t.learning ? (
                    <span className="badge" data-testid="learning">
                      learning, {t.remaining.toLocaleString()} to go
                    </span>
                  ) : (
                    'learned'
                  )}
                </td>
                <td className="num">{t.windowRequests.toLocaleString()}</td>
                <td className="num">
                  {t.agents}
                  {t.agentsLearning > 0 ? (
                    <span className="muted small"> ({t.agentsLearning} learning)</span>
                  ) : (
                    ''
                  )}
                </td>
                <td className="nowrap">
                  {t.usualPerMinute === null
                    ? '—'
                    : `${t.usualPerMinute.toFixed(1)}/min · ${t.burstThreshold?.toLocaleString()}/min`}
                </td>
                <td>{quietHours(t, data)}</td>
                <td>
                  <Values items={t.families.map((f) => f.value)} />
                </td>
                <td>
                  <Values items={t.targets.map((f) => `${f.feature} ${f.value}`)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Values({ items }: { items: string[] }) {
  if (items.length === 0) return <span className="muted">none</span>;
  return (
    <>
      {items.slice(0, SHOWN).map((v) => (
        <code key={v} className="chip">
          {v}
        </code>
      ))}
      {items.length > SHOWN && <span className="muted small"> +{items.length - SHOWN} more</span>}
    </>
  );
}

/** The hours the server would flag (below the policy's off-hours share), as ranges (`00–06, 22–24`). */
function quietHours(t: AgentTypeBaseline, data: BaselineAnswer): string {
  if (t.learning || t.windowRequests < data.learningRequests) return '—';
  const quiet = t.hourShare.map((share) => share * 100 < data.offHoursPercent);
  const ranges: string[] = [];
  for (let h = 0; h < 24; h++) {
    if (!quiet[h] || (h > 0 && quiet[h - 1])) continue;
    let end = h;
    while (end < 24 && quiet[end]) end++;
    ranges.push(`${String(h).padStart(2, '0')}–${String(end).padStart(2, '0')}`);
  }
  return ranges.length > 0 ? ranges.join(', ') : 'none';
}

function baselineCsv(data: BaselineAnswer): string {
  const rows = data.types.flatMap((t) =>
    [...t.families, ...t.targets].map((f) => [
      t.agentType,
      t.learning ? 'learning' : 'learned',
      f.feature,
      f.value,
      f.count,
      f.lastSeen,
    ]),
  );
  return toCsv(['agent_type', 'state', 'feature', 'value', 'count', 'last_seen'], rows);
}
