import { useCallback, useEffect, useState } from 'preact/hooks';

/** What a load gives a page: the data once loaded, the last error, and a way to load again. */
export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change or `reload` is called; the newest answer wins. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (d) => {
        if (!current) return;
        setData(d);
        setError('');
      },
      (err: unknown) => {
        if (current) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** A date as the console shows it: local, to the minute. */
export function when(value: string | number): string {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '-' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
