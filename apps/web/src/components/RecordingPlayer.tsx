import { useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import type { Recording, RecordingChunk } from '../types.ts';

const SPEEDS = [1, 2, 4, 10] as const;
// Terminal control sequences (colours, cursor moves) would show as noise in a <pre>.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** How many chunks are due at `elapsed` ms of the recording (chunks are ordered by `t`). */
function dueCount(chunks: RecordingChunk[], elapsed: number): number {
  let count = 0;
  while (count < chunks.length && (chunks[count] as RecordingChunk).t <= elapsed) count++;
  return count;
}

/** Replays the masked output of a command in a terminal view, at real speed or faster. */
export function RecordingPlayer({ requestId }: { requestId: string }) {
  const [recording, setRecording] = useState<Recording | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [speed, setSpeed] = useState<number>(1);
  const [playing, setPlaying] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const screen = useRef<HTMLPreElement>(null);
  const clock = useRef({ wallStart: 0, offset: 0 });

  const load = async () => {
    setError(null);
    try {
      const answer = await api.get<Recording>(`/v1/requests/${encodeURIComponent(requestId)}/recording`);
      answer.chunks = [...answer.chunks].sort((a, b) => a.t - b.t);
      setRecording(answer);
      setElapsed(0);
      setPlaying(true);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 404
          ? 'No output was recorded for this command.'
          : failure instanceof Error
            ? failure.message
            : 'The recording could not be loaded.',
      );
    }
  };

  const duration = recording?.chunks.at(-1)?.t ?? 0;

  useEffect(() => {
    if (!playing) return;
    clock.current = { wallStart: performance.now(), offset: elapsed };
    let frame = 0;
    const tick = () => {
      const next = clock.current.offset + (performance.now() - clock.current.wallStart) * speed;
      setElapsed(Math.min(next, duration));
      if (next >= duration) setPlaying(false);
      else frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
    // `elapsed` is read only when playback (re)starts; following it would restart every frame.
  }, [playing, speed, duration]);

  const shown = recording ? recording.chunks.slice(0, dueCount(recording.chunks, elapsed)) : [];

  useEffect(() => {
    const element = screen.current;
    if (element) element.scrollTop = element.scrollHeight;
  });

  if (!recording) {
    return (
      <div className="player">
        {error ? <p className="muted">{error}</p> : null}
        <button type="button" onClick={() => void load()}>
          Replay output
        </button>
      </div>
    );
  }

  return (
    <div className="player">
      <div className="player-controls">
        <button
          type="button"
          onClick={() => {
            if (playing) return setPlaying(false);
            if (elapsed >= duration) setElapsed(0);
            setPlaying(true);
          }}
        >
          {playing ? 'Pause' : elapsed >= duration ? 'Replay' : 'Play'}
        </button>
        <button
          type="button"
          onClick={() => {
            setPlaying(false);
            setElapsed(duration);
          }}
        >
          Skip to end
        </button>
        <label>
          Speed{' '}
          <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          {(elapsed / 1000).toFixed(1)} s / {(duration / 1000).toFixed(1)} s
          {recording.truncated ? ' · truncated' : ''}
        </span>
      </div>
      <pre className="terminal" ref={screen} data-testid="terminal">
        {shown.map((chunk, index) => (
          <span key={`${index}-${chunk.t}`} className={chunk.stream}>
            {stripAnsi(chunk.data)}
          </span>
        ))}
      </pre>
    </div>
  );
}
