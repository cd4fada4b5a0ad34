import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';

/** A list endpoint (`{items}`) with reload and the error message to show. */
export function useList<T>(path: string) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setItems((await api.get<{ items: T[] }>(path)).items);
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Could not load.');
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { items, error, setError, reload };
}

export function messageOf(failure: unknown): string {
  return failure instanceof ApiError ? `${failure.message} (${failure.code})` : 'The call failed.';
}
