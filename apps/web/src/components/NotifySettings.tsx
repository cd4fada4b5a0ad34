import { type NotifyPrefs, savePrefs } from '../notify.ts';

export function NotifySettings({
  prefs,
  onChange,
}: {
  prefs: NotifyPrefs;
  onChange(prefs: NotifyPrefs): void;
}) {
  const update = (next: NotifyPrefs) => {
    savePrefs(next);
    onChange(next);
  };
  const toggleDesktop = async (wanted: boolean) => {
    if (wanted && 'Notification' in window && Notification.permission !== 'granted') {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') return update({ ...prefs, desktop: false });
    }
    update({ ...prefs, desktop: wanted });
  };
  return (
    <fieldset className="notify">
      <legend className="sr-only">Notify me of new requests</legend>
      <label>
        <input
          type="checkbox"
          checked={prefs.sound}
          onChange={(e) => update({ ...prefs, sound: e.target.checked })}
        />
        Sound
      </label>
      <label>
        <input
          type="checkbox"
          checked={prefs.desktop}
          disabled={!('Notification' in window)}
          onChange={(e) => void toggleDesktop(e.target.checked)}
        />
        Browser notifications
      </label>
    </fieldset>
  );
}
