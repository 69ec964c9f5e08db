import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { CSRF_HEADER } from '../src/http/principal.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-access-control-test-key';
/** Cheap hashing for tests: the production cost (N=2^15) would make each sign-in ~100 ms. */
const FAST_HASHING = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';

interface Session {
  cookie: string;
  csrf: string;
  userId: string;
}

describe.each(TEST_DATABASES)('access control on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;
  let now: number;

  beforeEach(async () => {
    now = Date.UTC(2026, 10, 26, 12);
    database = await testDatabase.open();
    app = await buildApp({ database, clock: () => now, passwordHashing: FAST_HASHING });
    await app.keys.ensure('production', 'console', CONSOLE);
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  type Caller = { key?: string; session?: Session; csrf?: boolean };
  const call = (method: string, url: string, payload?: object, as: Caller = { key: CONSOLE }) =>
    app.http.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: {
        ...(as.key && { authorization: `Bearer ${as.key}` }),
        ...(as.session && { cookie: as.session.cookie }),
        ...(as.session && as.csrf !== false && { [CSRF_HEADER]: as.session.csrf }),
      },
      ...(payload && { payload }),
    });

  const sessionFrom = (response: Awaited<ReturnType<typeof call>>): Session => {
    expect(response.statusCode, response.body).toBeLessThan(300);
    const setCookie = String(response.headers['set-cookie']);
    return {
      cookie: setCookie.split(';')[0] as string,
      csrf: response.json().csrfToken,
      userId: response.json().user.id,
    };
  };
  const setupAdmin = async () => {
    const token = (await app.users.issueSetupToken()) as string;
    return sessionFrom(
      await call(
        'POST',
        '/auth/setup',
        { token, email: 'Ada@Example.com', name: 'Ada', password: PASSWORD },
        {},
      ),
    );
  };
  const addUser = async (admin: Session, email: string, role: string) => {
    const created = await call(
      'POST',
      '/users',
      { email, name: email, role, password: PASSWORD },
      { session: admin },
    );
    expect(created.statusCode, created.body).toBe(201);
    return sessionFrom(await call('POST', '/auth/login', { email, password: PASSWORD }, {}));
  };
  const gate = (rules: object[] = []) => ({ name: 'new_checkout', rules });
  const everyone = (environments?: string[]) => ({
    name: 'everyone',
    passPercentage: 100,
    conditions: [{ type: 'public' }],
    ...(environments && { environments }),
  });

  it('sets up the first admin once with the printed token, in an httpOnly SameSite=Strict cookie', async () => {
    expect((await call('GET', '/auth/status', undefined, {})).json()).toEqual({ setupRequired: true });
    const token = (await app.users.issueSetupToken()) as string;
    expect(token).toMatch(/^setup-/);
    // Asked again, it is not reissued: the printed one stays the only one.
    expect(await app.users.issueSetupToken()).toBeUndefined();
    const wrong = await call(
      'POST',
      '/auth/setup',
      { token: 'setup-wrong', email: 'a@b.co', name: 'A', password: PASSWORD },
      {},
    );
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toMatchObject({
      code: 'invalid_setup_token',
      details: { field: 'body.token' },
    });
    const first = await call(
      'POST',
      '/auth/setup',
      { token, email: 'Ada@Example.com', name: 'Ada', password: PASSWORD },
      {},
    );
    expect(first.statusCode, first.body).toBe(201);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/switchyard_session=[\w-]{40,}/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(first.json().user).toMatchObject({ email: 'ada@example.com', role: 'admin' });
    const again = await call(
      'POST',
      '/auth/setup',
      { token, email: 'eve@x.co', name: 'Eve', password: PASSWORD },
      {},
    );
    expect(again.statusCode).toBe(401);
    expect((await call('GET', '/auth/status', undefined, {})).json()).toEqual({ setupRequired: false });
  });

  it('stores passwords as scrypt hashes and sessions as hashes of their secret', async () => {
    const admin = await setupAdmin();
    const users = await database.db.selectFrom('users').selectAll().execute();
    expect(users[0]?.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(JSON.stringify(users)).not.toContain(PASSWORD);
    const secret = admin.cookie.split('=')[1] as string;
    const sessions = await database.db.selectFrom('sessions').selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(secret);
  });

  it('needs the CSRF token on every signed-in change, and not on reads', async () => {
    const admin = await setupAdmin();
    expect((await call('GET', '/gates', undefined, { session: admin, csrf: false })).statusCode).toBe(200);
    const forged = await call('POST', '/gates', gate(), { session: admin, csrf: false });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error).toMatchObject({
      code: 'csrf_failed',
      details: { field: `headers.${CSRF_HEADER}` },
    });
    const wrongToken = await call('POST', '/gates', gate(), { session: { ...admin, csrf: 'x'.repeat(43) } });
    expect(wrongToken.statusCode).toBe(403);
    expect((await call('GET', '/gates/new_checkout', undefined, { session: admin })).statusCode).toBe(404);
    const made = await call('POST', '/gates', gate(), { session: admin });
    expect(made.statusCode, made.body).toBe(201);
    // The audit entry names the person, never a secret.
    const [entry] = (await call('GET', '/audit?kind=gate')).json().entries;
    expect(entry.actor).toBe(`user:${admin.userId}`);
  });

  it('gives viewers reads, editors configuration, admins keys and users', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    const viewer = await addUser(admin, 'vi@example.com', 'viewer');
    expect((await call('GET', '/gates', undefined, { session: viewer })).statusCode).toBe(200);
    const refused = await call('POST', '/gates', gate(), { session: viewer });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'insufficient_role', details: { needed: 'editor' } });
    expect((await call('POST', '/gates', gate(), { session: editor })).statusCode).toBe(201);
    expect(
      (await call('POST', '/evaluate', { user: { userID: 'u1' } }, { session: viewer })).statusCode,
    ).toBe(200);
    for (const [method, url] of [
      ['GET', '/keys'],
      ['GET', '/users'],
      ['GET', '/webhooks'],
      ['POST', '/environments'],
    ] as const) {
      const response = await call(method, url, method === 'POST' ? { name: 'qa' } : undefined, {
        session: editor,
      });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().error.details).toEqual({ needed: 'admin' });
    }
    expect((await call('GET', '/keys', undefined, { session: admin })).statusCode).toBe(200);
    expect((await call('POST', '/environments', { name: 'qa' }, { session: admin })).statusCode).toBe(201);
  });

  it('makes read-only console keys, shown once, audited, with their last use recorded', async () => {
    const created = await call('POST', '/keys', {
      environment: 'production',
      kind: 'console',
      access: 'read',
    });
    expect(created.statusCode, created.body).toBe(201);
    const { secret, id } = created.json();
    expect(created.json().access).toBe('read');
    const reader = { key: secret as string };
    expect((await call('GET', '/gates', undefined, reader)).statusCode).toBe(200);
    const write = await call('POST', '/gates', gate(), reader);
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('insufficient_role');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const listed = (await call('GET', '/keys')).json().keys.find((key: { id: string }) => key.id === id);
    expect(listed.lastUsedAt).toBe(now);
    expect(JSON.stringify((await call('GET', '/keys')).json())).not.toContain(secret);
    expect((await call('POST', `/keys/${id}/revoke`)).statusCode).toBe(204);
    expect((await call('GET', '/gates', undefined, reader)).statusCode).toBe(401);
    const audit = (await call('GET', '/audit?kind=api_key')).json().entries;
    expect(audit.map((entry: { action: string }) => entry.action)).toEqual(['revoke', 'create']);
    expect(audit[0]).toMatchObject({ name: id, revision: null });
    expect(JSON.stringify(audit)).not.toContain(secret);
    // Key events bump no configuration revision: SDKs have nothing new to fetch.
    expect((await app.entities.revision()).revision).toBe(0);
  });

  it('throttles failed sign-ins per account and address, and audits them', async () => {
    await setupAdmin();
    for (let attempt = 0; attempt < 5; attempt++) {
      const failed = await call(
        'POST',
        '/auth/login',
        { email: 'ada@example.com', password: 'wrong password!' },
        {},
      );
      expect(failed.statusCode).toBe(401);
      expect(failed.json().error.code).toBe('invalid_credentials');
    }
    const blocked = await call('POST', '/auth/login', { email: 'ada@example.com', password: PASSWORD }, {});
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('too_many_attempts');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    now += 16 * 60_000;
    sessionFrom(await call('POST', '/auth/login', { email: 'ada@example.com', password: PASSWORD }, {}));
    const actions = (await call('GET', '/audit?kind=session'))
      .json()
      .entries.map((e: { action: string }) => e.action);
    expect(actions.filter((action: string) => action === 'sign-in-failed')).toHaveLength(5);
    expect(actions[0]).toBe('sign-in');
    // An unknown email is refused the same way (no hint which accounts exist).
    const unknown = await call(
      'POST',
      '/auth/login',
      { email: 'nobody@example.com', password: PASSWORD },
      {},
    );
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('invalid_credentials');
  });

  it('throttles each forwarded client separately behind a trusted proxy', async () => {
    await app.http.close();
    app = await buildApp({ database, clock: () => now, passwordHashing: FAST_HASHING, trustProxyHops: 1 });
    await setupAdmin();
    const login = (address: string) =>
      app.http.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': address },
        payload: { email: 'ada@example.com', password: 'wrong password!' },
      });
    for (let attempt = 0; attempt < 5; attempt++) expect((await login('203.0.113.7')).statusCode).toBe(401);
    expect((await login('203.0.113.7')).statusCode).toBe(429);
    expect((await login('198.51.100.9')).statusCode).toBe(401);
  });

  it('signs a disabled user out at once, and keeps the last admin', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    expect((await call('GET', '/gates', undefined, { session: editor })).statusCode).toBe(200);
    expect(
      (await call('PATCH', `/users/${editor.userId}`, { disabled: true }, { session: admin })).statusCode,
    ).toBe(200);
    const after = await call('GET', '/gates', undefined, { session: editor });
    expect(after.statusCode).toBe(401);
    const relogin = await call('POST', '/auth/login', { email: 'ed@example.com', password: PASSWORD }, {});
    expect(relogin.statusCode).toBe(401);
    const demote = await call('PATCH', `/users/${admin.userId}`, { role: 'editor' }, { session: admin });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('last_admin');
    const out = await call('POST', '/auth/logout', undefined, { session: admin });
    expect(out.statusCode).toBe(204);
    expect((await call('GET', '/gates', undefined, { session: admin })).statusCode).toBe(401);
  });

  it('keeps editors out of a production that needs admins, but not out of development-only rules', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    const policy = await call(
      'PUT',
      '/environments/production/policy',
      { minRole: 'admin', requireApproval: false },
      { session: admin },
    );
    expect(policy.statusCode, policy.body).toBe(200);
    // A gate passing no one is not a change to production.
    expect((await call('POST', '/gates', gate(), { session: editor })).statusCode).toBe(201);
    const dogfood = await call(
      'PATCH',
      '/gates/new_checkout',
      { rules: [everyone(['development'])] },
      { session: editor },
    );
    expect(dogfood.statusCode, dogfood.body).toBe(200);
    const prod = await call('PATCH', '/gates/new_checkout', { rules: [everyone()] }, { session: editor });
    expect(prod.statusCode).toBe(403);
    expect(prod.json().error).toMatchObject({
      code: 'environment_protected',
      details: { environment: 'production', needed: 'admin' },
    });
    expect((await call('GET', '/gates/new_checkout')).json().version).toBe(2);
    expect(
      (await call('PATCH', '/gates/new_checkout', { rules: [everyone()] }, { session: admin })).statusCode,
    ).toBe(200);
    const environments = (await call('GET', '/environments')).json().environments;
    expect(environments.find((e: { name: string }) => e.name === 'production').policy).toEqual({
      minRole: 'admin',
      requireApproval: false,
    });
    expect(environments.find((e: { name: string }) => e.name === 'development').policy).toBeNull();
  });

  it('sends changes to an approval-required environment through a change request reviewed by a second person', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    await call(
      'PUT',
      '/environments/production/policy',
      { minRole: 'editor', requireApproval: true },
      { session: admin },
    );
    expect((await call('POST', '/gates', gate(), { session: editor })).statusCode).toBe(201);
    const direct = await call('PATCH', '/gates/new_checkout', { rules: [everyone()] }, { session: admin });
    expect(direct.statusCode).toBe(403);
    expect(direct.json().error).toMatchObject({
      code: 'approval_required',
      details: { environments: ['production'] },
    });

    const requested = await call(
      'POST',
      '/change-requests',
      {
        kind: 'gates',
        name: 'new_checkout',
        operation: 'update',
        body: { rules: [everyone()] },
        expectedVersion: 1,
        reason: 'canary',
      },
      { session: editor },
    );
    expect(requested.statusCode, requested.body).toBe(201);
    const id = requested.json().id;
    const detail = (await call('GET', `/change-requests/${id}`, undefined, { session: admin })).json();
    expect(detail.status).toBe('pending');
    expect(detail.preview.environments).toEqual(['production']);
    expect(detail.preview.after.rules[0].name).toBe('everyone');

    const self = await call('POST', `/change-requests/${id}/approve`, undefined, { session: editor });
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('self_approval');
    const byKey = await call('POST', `/change-requests/${id}/approve`);
    expect(byKey.json().error.code).toBe('reviewer_must_be_user');
    const early = await call('POST', `/change-requests/${id}/apply`, undefined, { session: editor });
    expect(early.statusCode).toBe(409);
    expect(
      (await call('POST', `/change-requests/${id}/approve`, undefined, { session: admin })).json().status,
    ).toBe('approved');
    const applied = await call('POST', `/change-requests/${id}/apply`, undefined, { session: editor });
    expect(applied.statusCode, applied.body).toBe(200);
    expect(applied.json()).toMatchObject({
      version: 2,
      changeRequest: { status: 'applied', appliedVersion: 2 },
    });
    expect(
      (await call('POST', `/change-requests/${id}/apply`, undefined, { session: editor })).statusCode,
    ).toBe(409);
    const current = (await call('GET', '/gates/new_checkout')).json();
    expect(current.rules[0].name).toBe('everyone');

    const audit = (await call('GET', '/audit?limit=20')).json().entries;
    const update = audit.find(
      (entry: { kind: string; action: string }) => entry.kind === 'gate' && entry.action === 'update',
    );
    expect(update).toMatchObject({ actor: `user:${editor.userId}`, reason: `change request #${id}: canary` });
    const reviewTrail = audit
      .filter((entry: { kind: string }) => entry.kind === 'change_request')
      .map((entry: { action: string; actor: string }) => `${entry.action} ${entry.actor}`);
    expect(reviewTrail).toEqual([
      `apply user:${editor.userId}`,
      `approve user:${admin.userId}`,
      `request user:${editor.userId}`,
    ]);

    // The kill switch never waits for a reviewer.
    const killed = await call('POST', '/gates/new_checkout/disable', undefined, { session: editor });
    expect(killed.statusCode, killed.body).toBe(200);
    const reenable = await call('POST', '/gates/new_checkout/enable', undefined, { session: editor });
    expect(reenable.json().error.code).toBe('approval_required');
  });

  it('rejects a change request with a bad body when it is made, not when it is applied', async () => {
    const admin = await setupAdmin();
    await call('POST', '/gates', gate(), { session: admin });
    const bad = await call(
      'POST',
      '/change-requests',
      { kind: 'gates', name: 'new_checkout', operation: 'update', body: { rules: 'all' } },
      { session: admin },
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('body.body.rules');
    const unknown = await call(
      'POST',
      '/change-requests',
      { kind: 'gates', name: 'new_checkout', operation: 'action:explode' },
      { session: admin },
    );
    expect(unknown.json().error).toMatchObject({
      code: 'unknown_operation',
      details: { field: 'body.operation' },
    });
  });

  it('voids the setup token once a user exists, however that user was made', async () => {
    const token = (await app.users.issueSetupToken()) as string;
    await app.users.create({ email: 'ops@example.com', name: 'Ops', role: 'admin', password: PASSWORD });
    const late = await call(
      'POST',
      '/auth/setup',
      { token, email: 'eve@example.com', name: 'Eve', password: PASSWORD },
      {},
    );
    expect(late.statusCode).toBe(401);
    expect((await app.users.list()).map((user) => user.email)).toEqual(['ops@example.com']);
  });

  it('counts parallel sign-in guesses before answering any, and never records what was typed for an unknown account', async () => {
    await setupAdmin();
    const guesses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', '/auth/login', { email: 'ada@example.com', password: 'wrong password!' }, {}),
      ),
    );
    const statuses = guesses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    await call('POST', '/auth/login', { email: 'MySecretPassw0rd!', password: 'x' }, {});
    expect(JSON.stringify((await call('GET', '/audit?kind=session&limit=100')).json())).not.toMatch(
      /mysecretpassw0rd/i,
    );
  });

  it('throttles guesses of the current password from a signed-in session', async () => {
    const admin = await setupAdmin();
    for (let attempt = 0; attempt < 5; attempt++) {
      const wrong = await call(
        'POST',
        '/auth/password',
        { current: 'not it at all', next: 'a new password 1' },
        { session: admin },
      );
      expect(wrong.statusCode).toBe(401);
    }
    const blocked = await call(
      'POST',
      '/auth/password',
      { current: PASSWORD, next: 'a new password 1' },
      { session: admin },
    );
    expect(blocked.statusCode).toBe(429);
  });

  it('treats a change to an ID list a segment uses as a change to every protected environment', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    for (const list of ['staff_ids', 'scratch_ids']) {
      const upload = await app.http.inject({
        method: 'PUT',
        url: `/api/v1/id_lists/${list}`,
        headers: { cookie: editor.cookie, [CSRF_HEADER]: editor.csrf, 'content-type': 'text/plain' },
        payload: 'u1\n',
      });
      expect(upload.statusCode, upload.body).toBeLessThan(300);
    }
    expect(
      (await call('POST', '/segments', { name: 'staff', idList: 'staff_ids' }, { session: editor }))
        .statusCode,
    ).toBe(201);
    await call(
      'PUT',
      '/environments/production/policy',
      { minRole: 'admin', requireApproval: false },
      { session: admin },
    );
    const refused = await call('POST', '/id_lists/staff_ids/add', { ids: ['intruder'] }, { session: editor });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('environment_protected');
    expect((await call('DELETE', '/id_lists/staff_ids', undefined, { session: editor })).statusCode).toBe(
      403,
    );
    expect(
      (await call('POST', '/id_lists/scratch_ids/add', { ids: ['u2'] }, { session: editor })).statusCode,
    ).toBe(200);
    expect(
      (await call('POST', '/id_lists/staff_ids/add', { ids: ['u3'] }, { session: admin })).statusCode,
    ).toBe(200);
  });

  it('applies a change request only to the version its reviewer saw', async () => {
    const admin = await setupAdmin();
    const editor = await addUser(admin, 'ed@example.com', 'editor');
    await call('POST', '/gates', gate([{ ...everyone(), passPercentage: 5 }]), { session: editor });
    await call(
      'PUT',
      '/environments/production/policy',
      { minRole: 'editor', requireApproval: true },
      { session: admin },
    );
    expect(
      (await call('POST', '/gates/new_checkout/disable', undefined, { session: editor })).statusCode,
    ).toBe(200);
    const requested = await call(
      'POST',
      '/change-requests',
      { kind: 'gates', name: 'new_checkout', operation: 'action:enable' },
      { session: editor },
    );
    expect(requested.json().expectedVersion).toBe(2);
    const id = requested.json().id;
    // While off, the gate serves no one, so raising its rule needs no approval...
    const raised = await call('PATCH', '/gates/new_checkout', { rules: [everyone()] }, { session: editor });
    expect(raised.statusCode, raised.body).toBe(200);
    // ...but the request approved for version 2 no longer applies.
    const approve = await call('POST', `/change-requests/${id}/approve`, undefined, { session: admin });
    expect(approve.statusCode).toBe(409);
    expect(approve.json().error.code).toBe('stale_change_request');
    expect((await call('GET', '/gates/new_checkout')).json().enabled).toBe(false);
  });

  it('lets the kill switch skip review only for a gate nothing else depends on', async () => {
    const admin = await setupAdmin();
    await call(
      'POST',
      '/gates',
      { name: 'holdout', rules: [{ ...everyone(), passPercentage: 90 }] },
      { session: admin },
    );
    await call(
      'POST',
      '/gates',
      {
        name: 'new_checkout',
        rules: [
          {
            name: 'outside holdout',
            passPercentage: 100,
            conditions: [{ type: 'fail_gate', value: 'holdout' }],
          },
        ],
      },
      { session: admin },
    );
    await call(
      'PUT',
      '/environments/production/policy',
      { minRole: 'editor', requireApproval: true },
      { session: admin },
    );
    const holdoutOff = await call('POST', '/gates/holdout/disable', undefined, { session: admin });
    expect(holdoutOff.statusCode).toBe(403);
    expect(holdoutOff.json().error.code).toBe('approval_required');
    expect(
      (await call('POST', '/gates/new_checkout/disable', undefined, { session: admin })).statusCode,
    ).toBe(200);
  });

  it('keeps the audit log append-only even for SQL sent straight to the database', async () => {
    await call('POST', '/gates', gate());
    await expect(sql`update audit_log set actor = 'someone else'`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
    const entries = (await call('GET', '/audit')).json().entries;
    expect(entries).toHaveLength(1);
    expect(entries[0].actor).toMatch(/^key:/);
  });
});
