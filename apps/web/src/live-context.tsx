import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { connectLive, type LiveMessage, type LiveStatus } from './live.ts';

type Listener = (message: LiveMessage | { type: 'reconnected' }) => void;

interface LiveValue {
  status: LiveStatus;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<LiveValue>({ status: 'disconnected', subscribe: () => () => {} });

/** One WebSocket per page, shared by every view that wants live events. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const listeners = useRef(new Set<Listener>());
  const [value] = useState<Omit<LiveValue, 'status'>>(() => ({
    subscribe(listener) {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  }));
  useEffect(
    () =>
      connectLive({
        onStatus: setStatus,
        onMessage: (message) => {
          for (const listener of listeners.current) listener(message);
        },
        onReconnect: () => {
          for (const listener of listeners.current) listener({ type: 'reconnected' });
        },
      }),
    [],
  );
  return <LiveContext.Provider value={{ ...value, status }}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Calls `listener` for each live message while the component is mounted. */
export function useLiveEvents(listener: Listener): void {
  const { subscribe } = useContext(LiveContext);
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => subscribe((message) => current.current(message)), [subscribe]);
}
