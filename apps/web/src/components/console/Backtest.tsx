import type { BacktestLine, BacktestMove, BacktestResult } from '@gatehouse/contract';
import { useEffect, useRef, useState } from 'react';
import { ApiError, apiPostLines } from '../../api.ts';
import { formatTime } from '../../format.ts';
import { onLinkClick } from '../../router.ts';
import { hasRole, useSession } from '../../session.tsx';
import { messageOf } from '../useList.ts';
import { percent } from './csv.ts';

const WINDOWS = [
  { id: '24h', label: 'last 24 hours' },
  { id: '7d', label: 'last 7 days' },
  { id: '30d', label: 'last 30 days' },
  { id: '90d', label: 'last 90 days' },
] as const;
const TIER_LABELS = { auto: 'auto', review: 'review', multi_party: 'multi-party', deny: 'deny' } as const;
/** What the file picker offers; the server checks the text itself. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

type Run =
  | { state: 'idle' }
  | { state: 'running'; done: number; total: number | null }
  | { state: 'error'; message: string }
  | { state: 'done'; result: BacktestResult };

/**
 * Try a policy before it is in force: the server re-scores the history under it (with the
 * whitelist entries in force) and streams its progress; the page shows what would move.
 */
export function Backtest() {
  const { user } = useSession();
  const allowed = hasRole(user, 'auditor') || hasRole(user, 'admin');
  const [policy, setPolicy] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [since, setSince] = useState<(typeof WINDOWS)[number]['id']>('30d');
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (run.state === 'done') resultHeading.current?.focus();
  }, [run.state]);

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setRun({ state: 'error', message: `${file.name} is larger than a policy file may be (2 MiB).` });
      return;
    }
    setPolicy(await file.text());
    setFileName(file.name);
    setRun({ state: 'idle' });
  };

  const start = async () => {
    if (policy.trim() === '' || run.state === 'running') return;
    const controller = new AbortController();
    abort.current = controller;
    setRun({ state: 'running', done: 0, total: null });
    let result: BacktestResult | undefined;
    try {
      await apiPostLines(
        '/v1/backtests',
        { policy, since },
        (raw) => {
          const line = raw as BacktestLine;
          if (line.type === 'progress') setRun({ state: 'running', done: line.done, total: line.total });
          else if (line.type === 'error')
            throw new ApiError(500, line.code, `the backtest broke off: ${line.message}`);
          else result = line;
        },
        controller.signal,
      );
      if (controller.signal.aborted) return;
      setRun(
        result
          ? { state: 'done', result }
          : { state: 'error', message: 'The answer ended without a result. Try again.' },
      );
    } catch (failure) {
      if (controller.signal.aborted) return;
      setRun({ state: 'error', message: messageOf(failure) });
    } finally {
      if (abort.current === controller) abort.current = null;
    }
  };

  const cancel = () => {
    abort.current?.abort();
    abort.current = null;
    setRun({ state: 'idle' });
  };

  if (!allowed)
    return (
      <section className="console-page" aria-labelledby="backtest-title">
        <h1 id="backtest-title">Policy backtest</h1>
        <p className="page-status">Backtests are for auditors and admins: they read every agent's history.</p>
      </section>
    );

  return (
    <section className="console-page" aria-labelledby="backtest-title" aria-busy={run.state === 'running'}>
      <div className="console-head">
        <h1 id="backtest-title">Policy backtest</h1>
        <a href="/console" onClick={onLinkClick}>
          Back to the console
        </a>
      </div>
      <form
        className="panel backtest-form"
        aria-label="Candidate policy"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <p className="muted small">
          Upload or paste a candidate policy. Every shell and SQL request of the window is scored again under
          it, with the whitelist entries in force, and compared with the tier it was given.
        </p>
        <label className="backtest-file">
          Policy file{' '}
          <input
            type="file"
            accept=".yaml,.yml,text/yaml,application/yaml"
            onChange={(e) => void readFile(e.target.files?.[0])}
            disabled={run.state === 'running'}
          />
        </label>
        {fileName && <span className="small muted"> loaded {fileName}</span>}
        <label className="backtest-policy">
          Policy (YAML)
          <textarea
            value={policy}
            onChange={(e) => setPolicy(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void start();
              }
            }}
            rows={14}
            spellCheck={false}
            placeholder={'version: candidate\nextends: default\nrules: …'}
            aria-describedby="backtest-hint"
            disabled={run.state === 'running'}
          />
        </label>
        <span id="backtest-hint" className="small muted">
          Ctrl+Enter runs the backtest.
        </span>
        <div className="console-controls">
          <label>
            History{' '}
            <select
              value={since}
              onChange={(e) => setSince(e.target.value as typeof since)}
              disabled={run.state === 'running'}
            >
              {WINDOWS.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={policy.trim() === '' || run.state === 'running'}>
            Run backtest
          </button>
          {run.state === 'running' && (
            <button type="button" className="secondary" onClick={cancel}>
              Cancel
            </button>
          )}
        </div>
      </form>

      {run.state === 'idle' && (
        <div className="empty panel" data-testid="backtest-empty">
          <p>No backtest yet. The tier moves and the auto-approval rate under the candidate appear here.</p>
        </div>
      )}
      {run.state === 'running' && (
        <div className="panel" role="status" data-testid="backtest-progress">
          <label>
            Re-scoring the history{' '}
            <progress
              max={run.total ?? undefined}
              value={run.total === null ? undefined : run.done}
              aria-valuetext={run.total === null ? 'starting' : `${run.done} of ${run.total} requests`}
            />
          </label>{' '}
          <span className="small">
            {run.total === null
              ? 'starting…'
              : `${run.done.toLocaleString()} of ${run.total.toLocaleString()} requests`}
          </span>
        </div>
      )}
      {run.state === 'error' && (
        <div className="error" role="alert" data-testid="backtest-error">
          <p>The backtest did not run: {run.message}</p>
        </div>
      )}
      {run.state === 'done' && <Result result={run.result} headingRef={resultHeading} />}
    </section>
  );
}

function Result({
  result,
  headingRef,
}: {
  result: BacktestResult;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
}) {
  return (
    <section className="panel" aria-labelledby="backtest-result" data-testid="backtest-result">
      <h2 id="backtest-result" tabIndex={-1} ref={headingRef}>
        {result.moved === 0
          ? 'No request changes tier'
          : `${result.moved.toLocaleString()} of ${result.total.toLocaleString()} requests change tier`}
      </h2>
      <p className="small muted">
        Policy {result.policyVersion} (sha256 {result.policyHash.slice(0, 12)}), requests from{' '}
        {formatTime(result.since)} to {formatTime(result.until)}
        {result.errors > 0 ? `; ${result.errors} could not be scored and count as review` : ''}.
      </p>
      <dl className="kpis">
        <div className="kpi">
          <dt className="kpi-label">Requests re-scored</dt>
          <dd className="kpi-value">{result.total.toLocaleString()}</dd>
        </div>
        <div className="kpi">
          <dt className="kpi-label">Auto-approved now</dt>
          <dd className="kpi-value" data-testid="rate-now">
            {percent(result.current.autoApprovalRate)}
          </dd>
        </div>
        <div className="kpi">
          <dt className="kpi-label">Under the candidate</dt>
          <dd className="kpi-value" data-testid="rate-candidate">
            {percent(result.candidate.autoApprovalRate)}
          </dd>
        </div>
      </dl>
      <table className="data" aria-label="Requests per tier">
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col">Now</th>
            <th scope="col">Candidate</th>
          </tr>
        </thead>
        <tbody>
          {(Object.keys(TIER_LABELS) as (keyof typeof TIER_LABELS)[]).map((tier) => (
            <tr key={tier}>
              <th scope="row">{TIER_LABELS[tier]}</th>
              <td>{result.current.tiers[tier].toLocaleString()}</td>
              <td>{result.candidate.tiers[tier].toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.moves.length > 0 && (
        <table className="data" aria-label="Tier moves" data-testid="backtest-moves">
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Requests</th>
              <th scope="col">Examples (newest)</th>
            </tr>
          </thead>
          <tbody>
            {result.moves.map((move) => (
              <MoveRow key={`${move.from}>${move.to}`} move={move} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function MoveRow({ move }: { move: BacktestMove }) {
  return (
    <tr data-move={`${move.from}>${move.to}`}>
      <td>{TIER_LABELS[move.from]}</td>
      <td>
        {TIER_LABELS[move.to]} <span className="small muted">({move.direction})</span>
      </td>
      <td>{move.count.toLocaleString()}</td>
      <td>
        <ul className="backtest-moves-list">
          {move.examples.map((e) => (
            <li key={e.id}>
              <a href={`/requests/${encodeURIComponent(e.id)}`} onClick={onLinkClick}>
                <code>{e.command}</code>
              </a>{' '}
              <span className="small muted">
                {e.environment ?? 'no environment'} · {e.rules.slice(0, 2).join(', ') || 'no rule'}
              </span>
            </li>
          ))}
        </ul>
      </td>
    </tr>
  );
}
