import {
  type ComponentType,
  lazy,
  type ReactNode,
  Suspense,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { type Access, AccessContext, refusalOf, SessionUpdateContext } from './access/access-context.js';
import { accessOf, clientFor, restoreSignIn, type SignedIn } from './access/sign-in-state.js';
import { type ChangeRequest, type Role, roleAtLeast, type Session } from './api/access-types.js';
import type { ApiError } from './api/client.js';
import { ApiContext, useInterval, useResource } from './api/use-api.js';
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
const UsersPage = page(() => import('./pages/users-page.js'), 'UsersPage');
const ChangeRequestsPage = page(() => import('./pages/change-requests-page.js'), 'ChangeRequestsPage');
const ChangeRequestPage = page(() => import('./pages/change-requests-page.js'), 'ChangeRequestPage');
const EnvironmentsPage = page(() => import('./pages/environments-page.js'), 'EnvironmentsPage');
const AccountPage = page(() => import('./pages/account-page.js'), 'AccountPage');

/** `needs`: the least role the page is for (admin pages answer 403 to everyone else). */
const NAV: { to: string; label: string; needs?: Role }[] = [
  { to: '/gates', label: 'Gates' },
  { to: '/experiments', label: 'Experiments' },
  { to: '/layers', label: 'Layers' },
  { to: '/configs', label: 'Dynamic configs' },
  { to: '/segments', label: 'Segments' },
  { to: '/id-lists', label: 'ID lists' },
  { to: '/metrics', label: 'Metrics' },
  { to: '/evaluate', label: 'Evaluate as user' },
  { to: '/change-requests', label: 'Change requests' },
  { to: '/audit', label: 'Audit log' },
  { to: '/fleet', label: 'SDK fleet' },
  { to: '/environments', label: 'Environments' },
  { to: '/keys', label: 'API keys', needs: 'admin' },
  { to: '/users', label: 'Users', needs: 'admin' },
  { to: '/webhooks', label: 'Webhooks', needs: 'admin' },
];

type Route = [pattern: string, render: (params: Record<string, string>) => ReactNode, needs?: Role];

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
  ['/change-requests', () => <ChangeRequestsPage />],
  ['/change-requests/:id', (p) => <ChangeRequestPage id={Number(p.id)} />],
  ['/audit', () => <AuditPage />],
  ['/fleet', () => <FleetPage />],
  ['/environments', () => <EnvironmentsPage />],
  ['/keys', () => <KeysPage />, 'admin'],
  ['/users', () => <UsersPage />, 'admin'],
  ['/webhooks', () => <WebhooksPage />, 'admin'],
  ['/account', () => <AccountPage />],
];

function renderRoute(path: string, access: Access): ReactNode {
  for (const [pattern, render, needs] of ROUTES) {
    const params = matchPath(pattern, path);
    if (!params) continue;
    const refusal = needs && refusalOf(access, needs);
    if (refusal) {
      return (
        <section>
          <h1>Not available</h1>
          <p>{refusal}</p>
        </section>
      );
    }
    return render(params);
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

type Phase =
  | { state: 'checking' }
  | { state: 'signed-out'; setupRequired: boolean; reason?: ApiError | undefined }
  | { state: 'signed-in'; signedIn: SignedIn };

export function App() {
  const [phase, setPhase] = useState<Phase>({ state: 'checking' });
  const signedIn = phase.state === 'signed-in' ? phase.signedIn : null;
  const api = useMemo(() => (signedIn ? clientFor(signedIn) : null), [signedIn]);
  const access = useMemo(() => (signedIn ? accessOf(signedIn) : null), [signedIn]);
  const { path } = useLocation();

  // A reload stays signed in: the stored key, or the session cookie (whose CSRF token is read
  // again, since it lives in memory only).
  useEffect(() => {
    let current = true;
    const stored = readStoredKey();
    void restoreSignIn(stored).then((restored) => {
      if (!current) return;
      if (restored.signedIn) {
        setPhase({ state: 'signed-in', signedIn: restored.signedIn });
        return;
      }
      if (stored) clearStoredKey();
      setPhase({ state: 'signed-out', setupRequired: restored.setupRequired, reason: restored.reason });
    });
    return () => {
      current = false;
    };
  }, []);

  useEffect(() => {
    if (!api) return;
    // A 401 means the session ended or the key was revoked: back to sign-in, saying why.
    api.onUnauthorized((error) => {
      clearStoredKey();
      setPhase({ state: 'signed-out', setupRequired: false, reason: error });
    });
    return () => api.onUnauthorized(undefined);
  }, [api]);

  useEffect(() => {
    if (path === '/' && api) navigate('/gates', { replace: true });
  }, [path, api]);

  const onSession = useCallback((session: Session) => {
    setPhase({ state: 'signed-in', signedIn: { type: 'session', session } });
  }, []);

  if (phase.state === 'checking') {
    return (
      <main className="sign-in">
        <Loading label="Checking your sign-in" />
      </main>
    );
  }

  if (!api || !access || !signedIn) {
    const signedOut = phase.state === 'signed-out' ? phase : { setupRequired: false, reason: undefined };
    return (
      <SignInPage
        // A new reason (or setup done elsewhere) is a fresh form.
        key={`${signedOut.setupRequired}:${signedOut.reason?.code ?? ''}`}
        setupRequired={signedOut.setupRequired}
        reason={signedOut.reason}
        onSignIn={(next) => {
          if (next.type === 'key') storeKey(next.key);
          else clearStoredKey();
          setPhase({ state: 'signed-in', signedIn: next });
        }}
      />
    );
  }

  const signOut = async () => {
    clearStoredKey();
    if (signedIn.type === 'session') {
      // Ends the session on the server and clears the cookie; signed out here either way.
      await api.post('/auth/logout', {}).catch(() => undefined);
    }
    setPhase({ state: 'signed-out', setupRequired: false });
  };

  return (
    <ApiContext.Provider value={api}>
      <AccessContext.Provider value={access}>
        <SessionUpdateContext.Provider value={onSession}>
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          <div className="shell">
            <nav className="sidebar" aria-label="Main">
              <Link to="/gates" className="brand">
                <span className="logo" aria-hidden="true" /> Switchyard
              </Link>
              <ul>
                {NAV.filter((item) => !item.needs || roleAtLeast(access.role, item.needs)).map((item) => {
                  const current = path === item.to || path.startsWith(`${item.to}/`);
                  return (
                    <li key={item.to}>
                      <Link to={item.to} {...(current && { 'aria-current': 'page' as const })}>
                        {item.label}
                        {item.to === '/change-requests' && <PendingCount path={path} />}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </nav>
            <div className="main-column">
              <AccountBar access={access} onSignOut={signOut} />
              <main id="main" className="content" tabIndex={-1}>
                <Suspense fallback={<Loading label="Loading the page" />}>
                  {renderRoute(path, access)}
                </Suspense>
              </main>
            </div>
          </div>
        </SessionUpdateContext.Provider>
      </AccessContext.Provider>
    </ApiContext.Provider>
  );
}

const ROLE_LABEL: Record<Role, string> = { viewer: 'viewer', editor: 'editor', admin: 'admin' };

/** Who is signed in and as what, with sign-out; viewers also read that changes are refused. */
function AccountBar({ access, onSignOut }: { access: Access; onSignOut: () => void }) {
  const { signer, role } = access;
  const readOnly = refusalOf(access, 'editor');
  return (
    <header className="account-bar">
      {readOnly && (
        <p className="read-only-note" data-testid="read-only-note">
          Read-only. {readOnly}
        </p>
      )}
      <div className="account-who" data-testid="signed-in-as">
        {signer.type === 'user' ? (
          <>
            Signed in as{' '}
            <Link to="/account" title={signer.user.email}>
              {signer.user.name}
            </Link>
          </>
        ) : (
          <>
            Console key <code>{signer.prefix}…</code>
            {signer.access === 'read' && ' (read-only)'}
          </>
        )}{' '}
        <span className={`badge role role-${role}`} title={`Role: ${ROLE_LABEL[role]}`}>
          {ROLE_LABEL[role]}
        </span>
      </div>
      <button type="button" className="small sign-out" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

const PENDING_REFRESH_MS = 30_000;

/**
 * How many change requests wait for a reviewer, next to the navigation link: asked again every
 * half minute and on every navigation (a request made or reviewed is usually followed by one).
 */
function PendingCount({ path }: { path: string }) {
  const pending = useResource<{ changeRequests: ChangeRequest[] }>('/change-requests', { status: 'pending' });
  useInterval(() => void pending.reload(), PENDING_REFRESH_MS);
  const reload = useRef(pending.reload);
  reload.current = pending.reload;
  const shownAt = useRef(path);
  useEffect(() => {
    if (shownAt.current === path) return;
    shownAt.current = path;
    void reload.current();
  }, [path]);
  const count = pending.data?.changeRequests.length ?? 0;
  if (count === 0) return null;
  return (
    <span className="nav-count">
      {count}
      <span className="visually-hidden"> pending</span>
    </span>
  );
}
