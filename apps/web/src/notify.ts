import type { RequestView } from './types.ts';

/** How the approver wants to hear about new items; kept per browser. */
export interface NotifyPrefs {
  sound: boolean;
  desktop: boolean;
}

const KEY = 'gatehouse.notify';

export function loadPrefs(): NotifyPrefs {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<NotifyPrefs>;
    return { sound: stored.sound === true, desktop: stored.desktop === true };
  } catch {
    return { sound: false, desktop: false };
  }
}

export function savePrefs(prefs: NotifyPrefs): void {
  localStorage.setItem(KEY, JSON.stringify(prefs));
}

let audio: AudioContext | null = null;

/** A short two-tone chime, synthesised so no audio file has to be served. */
function chime(): void {
  audio ??= new AudioContext();
  const start = audio.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.15, 1175],
  ] as const) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.12, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.25);
  }
}

export function announceNew(request: RequestView, prefs: NotifyPrefs): void {
  if (prefs.sound) {
    try {
      chime();
    } catch {
      // Audio may be blocked until the page had a user gesture; the visual queue still updates.
    }
  }
  if (prefs.desktop && 'Notification' in window && Notification.permission === 'granted') {
    const notification = new Notification(`Gatehouse: ${request.tier.replace('_', '-')} request`, {
      body: request.command.slice(0, 200),
      tag: request.id,
    });
    notification.onclick = () => {
      window.focus();
      location.assign(`/requests/${encodeURIComponent(request.id)}`);
    };
  }
}
