import { useEffect, useState } from 'react';
import { type ConsoleView, dayOf, isDay, RANGES, viewSpan } from './range.ts';

/**
 * The range of the console: a preset, or two UTC days (both included) applied with Enter or
 * the Apply button. Only the form of the dates is checked here; whether the range can be
 * answered (reversed, too many buckets) is the server's call, and its message is shown
 * beside the inputs (`problem`).
 */
export function RangePicker({
  view,
  onChange,
  problem,
}: {
  view: ConsoleView;
  onChange: (next: Partial<ConsoleView>) => void;
  problem: string | null;
}) {
  const [custom, setCustom] = useState(view.range === 'custom');
  const [from, setFrom] = useState(view.from ?? '');
  const [to, setTo] = useState(view.to ?? '');
  const [mistake, setMistake] = useState<string | null>(null);

  // A link opened, or back/forward: the inputs follow the URL.
  useEffect(() => {
    setCustom(view.range === 'custom');
    if (view.range === 'custom') {
      setFrom(view.from ?? '');
      setTo(view.to ?? '');
    }
  }, [view.range, view.from, view.to]);

  const choose = (id: string) => {
    setMistake(null);
    if (id === 'custom') {
      // Start from the days the preset showed, so a small change is a small edit.
      const span = viewSpan(view);
      setFrom(dayOf(span.from));
      setTo(dayOf(span.to.getTime() - 1));
      setCustom(true);
      return;
    }
    setCustom(false);
    const preset = RANGES.find((r) => r.id === id)!;
    onChange({ range: preset.id, bucket: preset.bucket });
  };

  const apply = () => {
    if (!isDay(from) || !isDay(to)) {
      setMistake('Enter both days as YYYY-MM-DD.');
      return;
    }
    setMistake(null);
    onChange({ range: 'custom', from, to });
  };

  const message = mistake ?? problem;
  return (
    <>
      <label>
        Range{' '}
        <select value={custom ? 'custom' : view.range} onChange={(e) => choose(e.target.value)}>
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
          <option value="custom">custom range…</option>
        </select>
      </label>
      {custom && (
        <span className="range-custom">
          <label>
            From{' '}
            <input
              type="date"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && apply()}
              aria-invalid={message !== null}
              aria-describedby={message ? 'range-problem' : undefined}
              data-testid="range-from"
            />
          </label>
          <label>
            To{' '}
            <input
              type="date"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && apply()}
              aria-invalid={message !== null}
              aria-describedby={message ? 'range-problem' : undefined}
              data-testid="range-to"
            />
          </label>
          <button type="button" className="small" onClick={apply}>
            Apply
          </button>
          <span className="muted small">UTC days, both included</span>
        </span>
      )}
      {message && (
        <p className="error small range-problem" id="range-problem" role="alert" data-testid="range-problem">
          {message}
        </p>
      )}
    </>
  );
}
