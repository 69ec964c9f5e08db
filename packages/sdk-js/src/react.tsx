/**
 * React bindings (`@switchyard/js/react`). Components re-render when the client's values change
 * (useSyncExternalStore). With `bootstrap` (or cached values) the first render, on the server
 * and in the browser, already has the user's values: no flash of the default variant.
 */
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';
import {
  type DynamicConfig,
  type Experiment,
  type FeatureGate,
  type Layer,
  SwitchyardClient,
  type SwitchyardOptions,
  type SwitchyardUser,
} from './switchyard-client.js';

const ClientContext = createContext<SwitchyardClient | null>(null);

/** Outside a provider hooks read this client, which never loads values: defaults, reason Uninitialized. */
let detached: SwitchyardClient | undefined;

export type SwitchyardProviderProps = { children?: ReactNode } & (
  | {
      /** A client the app created (and initializes and shuts down itself). */
      client: SwitchyardClient;
    }
  | {
      clientKey: string;
      user: SwitchyardUser;
      /** Client options; `bootstrap` here makes the first render use the server's values. */
      options?: SwitchyardOptions;
    }
);

/**
 * Makes a client available to the hooks below. Given a key and a user, it creates the client,
 * loads bootstrap or cached values during the first render, initializes it after mounting,
 * switches users when `user` changes, and shuts it down on unmount.
 *
 * @example
 * <SwitchyardProvider clientKey="client-…" user={{ userID: 'alice' }}
 *   options={{ api: 'https://flags.example.com/v1', bootstrap: window.__SWITCHYARD__ }}>
 *   <App />
 * </SwitchyardProvider>
 */
export function SwitchyardProvider(props: SwitchyardProviderProps): ReactNode {
  const given = 'client' in props ? props.client : undefined;
  const userJson = 'user' in props ? JSON.stringify(props.user ?? {}) : '';
  // Constructing a client has no side effects beyond reading storage, so a discarded render is harmless.
  const [owned] = useState(() =>
    'client' in props
      ? undefined
      : new SwitchyardClient(props.clientKey, { ...props.options, user: props.user }),
  );
  useEffect(() => {
    if (!owned) return;
    void owned.initialize();
    return () => {
      void owned.shutdown();
    };
  }, [owned]);
  useEffect(() => {
    if (owned && userJson) void owned.updateUser(JSON.parse(userJson) as SwitchyardUser);
  }, [owned, userJson]);
  return <ClientContext.Provider value={given ?? owned ?? null}>{props.children}</ClientContext.Provider>;
}

/**
 * The provider's client (for `logEvent`, `updateUser`, ...).
 *
 * @example
 * const client = useSwitchyard();
 * <button onClick={() => client.logEvent('buy')}>Buy</button>
 */
export function useSwitchyard(): SwitchyardClient {
  const client = useContext(ClientContext);
  if (client) return client;
  detached ??= new SwitchyardClient('', { stream: false, exposures: false, stableID: false });
  return detached;
}

/** Re-renders on every change of `client.details` and recomputes `read` then. */
function useValue<T>(read: (client: SwitchyardClient) => T, name: string): T {
  const client = useSwitchyard();
  const details = useSyncExternalStore(
    client.subscribe,
    () => client.details,
    () => client.details,
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `details` stands for the values `read` sees.
  return useMemo(() => read(client), [client, name, details]);
}

/**
 * A feature gate for the current user (`.value` is the boolean); logs an exposure.
 *
 * @example
 * const newCheckout = useGate('new_checkout').value;
 */
export function useGate(name: string): FeatureGate {
  return useValue((client) => client.getGate(name), name);
}

/**
 * A dynamic config; logs an exposure.
 *
 * @example
 * const price = useConfig('pricing').get('price', 10);
 */
export function useConfig(name: string): DynamicConfig {
  return useValue((client) => client.getConfig(name), name);
}

/**
 * An experiment; logs an exposure.
 *
 * @example
 * const color = useExperiment('checkout_button').get('color', 'grey');
 */
export function useExperiment(name: string): Experiment {
  return useValue((client) => client.getExperiment(name), name);
}

/**
 * A layer; `get(parameter)` logs the exposure for that parameter.
 *
 * @example
 * const headline = useLayer('checkout').get('headline', 'Welcome');
 */
export function useLayer(name: string): Layer {
  return useValue((client) => client.getLayer(name), name);
}
