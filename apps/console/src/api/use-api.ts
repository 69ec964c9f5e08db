import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { type ApiClient, type ApiError, type RequestOptions, toApiError } from './client.js';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (later reloads keep showing the data they replace). */
  loading: boolean;
  reload: () => Promise<void>;
  /** Replace the data with what a write returned, without another request. */
  setData: (data: T) => void;
}

/**
 * GET `path` (null: nothing yet) and keep the answer; reloads when the path or query change.
 * A stale answer never overwrites a newer one (each load aborts the one before).
 */
export function useResource<T>(path: string | null, query?: RequestOptions['query']): Resource<T> {
  const api = useApi();
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const controller = useRef<AbortController | null>(null);
  const queryKey = JSON.stringify(query ?? {});

  const load = useCallback(async () => {
    controller.current?.abort();
    if (path === null) {
      setState({ loading: false });
      return;
    }
    const current = new AbortController();
    controller.current = current;
    try {
      const data = await api.get<T>(path, JSON.parse(queryKey), current.signal);
      if (!current.signal.aborted) setState({ data, loading: false });
    } catch (error) {
      if (current.signal.aborted) return;
      setState((previous) => ({ ...previous, error: toApiError(error), loading: false }));
    }
  }, [api, path, queryKey]);

  useEffect(() => {
    setState((previous) => ({ ...previous, loading: previous.data === undefined }));
    void load();
    return () => controller.current?.abort();
  }, [load]);

  const setData = useCallback((data: T) => setState({ data, loading: false }), []);
  return { data: state.data, error: state.error, loading: state.loading, reload: load, setData };
}

/** Calls `tick` every `ms` while the page is visible (hidden tabs make no requests). */
export function useInterval(tick: () => void, ms: number | null): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (ms === null) return;
    const id = setInterval(() => {
      if (document.visibilityState !== 'hidden') saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

export interface Mutation<A extends unknown[], R> {
  run: (...args: A) => Promise<R | undefined>;
  pending: boolean;
  error: ApiError | undefined;
  clear: () => void;
}

/**
 * A write: `run` returns the result, or undefined after an error (kept in `error` to show next
 * to the form); `pending` disables the button that started it.
 */
export function useMutation<A extends unknown[], R>(perform: (...args: A) => Promise<R>): Mutation<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const saved = useRef(perform);
  saved.current = perform;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(undefined);
    try {
      return await saved.current(...args);
    } catch (caught) {
      setError(toApiError(caught));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { run, pending, error, clear };
}
