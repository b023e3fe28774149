/** The LiveTransfers store for the tree, fed from the api's events, and its hooks. */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { TransferDto } from '../../../shared/contract/index.js';
import { useApi } from '../api/api-context.js';
import {
  type JobKey,
  type JobProgress,
  LiveTransfers,
  type TotalSpeeds,
} from './live-transfers.js';

const LiveContext = createContext<LiveTransfers | null>(null);

export function LiveTransfersProvider({
  store,
  children,
}: {
  store?: LiveTransfers;
  children: ReactNode;
}) {
  const api = useApi();
  const own = useRef<LiveTransfers | null>(null);
  const live = store ?? (own.current ??= new LiveTransfers());
  useEffect(() => {
    const offProgress = api.on('transfers.progress', (snapshot) => live.applyProgress(snapshot));
    const offJob = api.on('transfers.jobChanged', (job) => live.applyJob(job));
    return () => {
      offProgress();
      offJob();
    };
  }, [api, live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function useLiveTransfers(): LiveTransfers {
  const live = useContext(LiveContext);
  if (live === null) throw new Error('useLiveTransfers outside a LiveTransfersProvider');
  return live;
}

export function useJobProgress(key: JobKey): JobProgress | undefined {
  const live = useLiveTransfers();
  const subscribe = useCallback(
    (notify: () => void) => live.progress.subscribe(key, notify),
    [live, key],
  );
  return useSyncExternalStore(subscribe, () => live.progress.get(key));
}

/** The newest of the listed job and the one last pushed by `transfers.jobChanged`. */
export function useLiveJob(key: JobKey, listed: TransferDto): TransferDto {
  const live = useLiveTransfers();
  const subscribe = useCallback(
    (notify: () => void) => live.jobs.subscribe(key, notify),
    [live, key],
  );
  const pushed = useSyncExternalStore(subscribe, () => live.jobs.get(key));
  return pushed !== undefined && pushed.updatedAt >= listed.updatedAt ? pushed : listed;
}

/** Total upload and download speed from the latest progress events. */
export function useTotalSpeeds(): TotalSpeeds {
  const live = useLiveTransfers();
  return useSyncExternalStore(
    (notify) => live.totals.subscribeAll(notify),
    () => live.speeds(),
  );
}
