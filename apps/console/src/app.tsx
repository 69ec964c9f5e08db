import { type ComponentType, lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { ApiClient, type ApiError } from './api/client.js';
import { ApiContext } from './api/use-api.js';
import { Loading } from './components/status.js';
import { GatesPage } from './gates/gates-page.js';
import { clearStoredKey, readStoredKey, storeKey } from './key-storage.js';
import { Link, matchPath, navigate, useLocation } from './router.js';
import { SignInPage } from './sign-in-page.js';

/**
 * Pages load on first visit (one chunk each, cached immutably by hash); the gates list, the
 * page most visits start on, is in the main bundle.
 */
function page<K extends string>(
  load: () => Promise<Record<K, ComponentType<never>>>,
  name: K,
): ComponentType<Record<string, unknown>> {
  return lazy(async () => ({ default: (await load())[name] as ComponentType<Record<string, unknown>> }));
}

const GatePage = page(() => import('./gates/gate-page.js'), 'GatePage');
const NewGatePage = page(() => import('./gates/new-gate-page.js'), 'NewGatePage');
const AuditPage = page(() => import('./pages/audit-page.js'), 'AuditPage');
const ConfigPage = page(() => import('./pages/configs-page.js'), 'ConfigPage');
const ConfigsPage = page(() => import('./pages/configs-page.js'), 'ConfigsPage');
const EvaluatePage = page(() => import('./pages/evaluate-page.js'), 'EvaluatePage');
const ExperimentPage = page(() => import('./pages/experiments-page.js'), 'ExperimentPage');
const ExperimentsPage = page(() => import('./pages/experiments-page.js'), 'ExperimentsPage');
const NewExperimentPage = page(() => import('./pages/experiments-page.js'), 'NewExperimentPage');
const FleetPage = page(() => import('./pages/fleet-page.js'), 'FleetPage');
const IdListsPage = page(() => import('./pages/id-lists-page.js'), 'IdListsPage');
const KeysPage = page(() => import('./pages/keys-page.js'), 'KeysPage');
const LayerPage = page(() => import('./pages/layers-page.js'), 'LayerPage');
const LayersPage = page(() => import('./pages/layers-page.js'), 'LayersPage');
const MetricsPage = page(() => import('./pages/metrics-page.js'), 'MetricsPage');
const SegmentPage = page(() => import('./pages/segments-page.js'), 'SegmentPage');
const SegmentsPage = page(() => import('./pages/segments-page.js'), 'SegmentsPage');
const WebhooksPage = page(() => import('./pages/webhooks-page.js'), 'WebhooksPage');

const NAV: { to: string; label: string }[] = [
  { to: '/gates', label: 'Gates' },
  { to: '/experiments', label: 'Experiments' },
  { to: '/layers', label: 'Layers' },
  { to: '/configs', label: 'Dynamic configs' },
  { to: '/segments', label: 'Segments' },
  { to: '/id-lists', label: 'ID lists' },
  { to: '/metrics', label: 'Metrics' },
  { to: '/evaluate', label: 'Evaluate as user' },
  { to: '/audit', label: 'Audit log' },
  { to: '/fleet', label: 'SDK fleet' },
  { to: '/keys', label: 'API keys' },
  { to: '/webhooks', label: 'Webhooks' },
];

type Route = [pattern: string, render: (params: Record<string, string>) => ReactNode];

const ROUTES: Route[] = [
  ['/gates', () => <GatesPage />],
  ['/gates/new', () => <NewGatePage />],
  ['/gates/:name', (p) => <GatePage name={p.name as string} tab="rules" />],
  ['/gates/:name/release', (p) => <GatePage name={p.name as string} tab="release" />],
  ['/gates/:name/pulse', (p) => <GatePage name={p.name as string} tab="pulse" />],
  ['/gates/:name/history', (p) => <GatePage name={p.name as string} tab="history" />],
  ['/experiments', () => <ExperimentsPage />],
  ['/experiments/new', () => <NewExperimentPage />],
  ['/experiments/:name', (p) => <ExperimentPage name={p.name as string} />],
  ['/layers', () => <LayersPage />],
  ['/layers/:name', (p) => <LayerPage name={p.name as string} />],
  ['/configs', () => <ConfigsPage />],
  ['/configs/:name', (p) => <ConfigPage name={p.name as string} />],
  ['/segments', () => <SegmentsPage />],
  ['/segments/:name', (p) => <SegmentPage name={p.name as string} />],
  ['/id-lists', () => <IdListsPage />],
  ['/metrics', () => <MetricsPage />],
  ['/evaluate', () => <EvaluatePage />],
  ['/audit', () => <AuditPage />],
  ['/fleet', () => <FleetPage />],
  ['/keys', () => <KeysPage />],
  ['/webhooks', () => <WebhooksPage />],
];

function renderRoute(path: string): ReactNode {
  for (const [pattern, render] of ROUTES) {
    const params = matchPath(pattern, path);
    if (params) return render(params);
  }
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/gates">Go to the gates</Link>.
      </p>
    </section>
  );
}

export function App() {
  const [key, setKey] = useState<string | null>(() => readStoredKey());
  const [signOutReason, setSignOutReason] = useState<ApiError | undefined>();
  const api = useMemo(() => (key ? new ApiClient(key) : null), [key]);
  const { path } = useLocation();

  useEffect(() => {
    if (!api) return;
    // A 401 means the key was revoked (or the database replaced): back to sign-in, saying why.
    api.onUnauthorized((error) => {
      clearStoredKey();
      setSignOutReason(error);
      setKey(null);
    });
    return () => api.onUnauthorized(undefined);
  }, [api]);

  useEffect(() => {
    if (path === '/' && api) navigate('/gates', { replace: true });
  }, [path, api]);

  if (!api) {
    return (
      <SignInPage
        reason={signOutReason}
        onSignIn={(signedIn) => {
          storeKey(signedIn);
          setSignOutReason(undefined);
          setKey(signedIn);
        }}
      />
    );
  }

  const signOut = () => {
    clearStoredKey();
    setSignOutReason(undefined);
    setKey(null);
  };

  return (
    <ApiContext.Provider value={api}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <nav className="sidebar" aria-label="Main">
          <Link to="/gates" className="brand">
            <span className="logo" aria-hidden="true" /> Switchyard
          </Link>
          <ul>
            {NAV.map((item) => {
              const current = path === item.to || path.startsWith(`${item.to}/`);
              return (
                <li key={item.to}>
                  <Link to={item.to} {...(current && { 'aria-current': 'page' as const })}>
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
          <button type="button" className="sign-out" onClick={signOut}>
            Sign out
          </button>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Suspense fallback={<Loading label="Loading the page" />}>{renderRoute(path)}</Suspense>
        </main>
      </div>
    </ApiContext.Provider>
  );
}
