/**
 * ID lists end to end with the real statsig-node 6.5.2 against a listening server: gates with
 * `in_segment_list` / `not_in_segment_list` conditions authored through the API, lists uploaded
 * and changed through the API, and the SDK following them through get_id_lists and the list
 * files: the first sync reads whole files, a sync after add/remove fetches only the appended
 * bytes (Range), a replacement (new file id) resets the SDK's copy, a deletion empties it. Our
 * own /v1/initialize agrees with the SDK throughout; nothing leaves 127.0.0.1.
 */
import type { RunningServer } from '@switchyard/server';
import type { StatsigServer, StatsigUser } from 'statsig-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedRequests, loadStatsigNode, sdkRequests } from './support/statsig-node-network-guard.js';
import { startTestServer } from './support/test-server.js';

const SERVER_KEY = 'secret-idlists-e2e-key';
const CLIENT_KEY = 'client-idlists-e2e-key';
const CONSOLE_KEY = 'console-idlists-e2e-key';

const LIST = 'beta_users';
const COMPANY_LIST = 'beta_companies';
const GATES = { in: 'beta_access', notIn: 'not_beta', company: 'beta_company_access' } as const;
const MEMBERS = Array.from({ length: 500 }, (_, i) => `member-${i}`);
/** Bytes of a list-file line: `+` or `-`, an 8-character entry, `\n`. */
const LINE = 10;
const FILE_ROUTE = '/v1/id_list_files/:fileId';

let server: RunningServer;
let statsig: StatsigServer;
const sdkLog: string[] = [];

async function api(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${CONSOLE_KEY}`,
      ...(body !== undefined && { 'content-type': contentType }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

const uploadList = (name: string, ids: string[]) =>
  api('PUT', `/id_lists/${name}`, `${ids.join('\n')}\n`, 'text/plain');

/** What the server has counted: list-file bytes sent, and 206 answers on the file route. */
async function fileCounters(): Promise<{ bytes: number; partial: number; whole: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (pattern: RegExp) =>
    Number(
      text
        .split('\n')
        .find((row) => pattern.test(row))
        ?.split(' ')
        .pop() ?? 0,
    );
  const requests = (status: number) =>
    value(
      new RegExp(
        `^switchyard_http_requests_total\\{(?=.*route="${FILE_ROUTE.replace(/\//g, '\\/')}")(?=.*status="${status}").*\\} `,
      ),
    );
  return {
    bytes: value(/^switchyard_id_list_bytes_served_total /),
    partial: requests(206),
    whole: requests(200),
  };
}

/** statsig-node's list-file downloads since `from` (an index into the guard's log). */
const fileFetches = (from: number) =>
  sdkRequests.slice(from).filter((request) => new URL(request.url).pathname.startsWith('/v1/id_list_files/'));

/** Our /v1/initialize (raw names) for one user. */
async function ourGates(user: StatsigUser): Promise<Record<string, boolean>> {
  const response = await fetch(`${server.url}/v1/initialize?k=${CLIENT_KEY}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, hash: 'none' }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { feature_gates: Record<string, { value: boolean }> };
  return Object.fromEntries(
    Object.values(GATES).map((gate) => [gate, body.feature_gates[gate]?.value === true]),
  );
}

function sdkGates(user: StatsigUser): Record<string, boolean> {
  return Object.fromEntries(
    Object.values(GATES).map((gate) => [
      gate,
      statsig.checkGate(user, gate, { disableExposureLogging: true }),
    ]),
  );
}

/** Checks statsig-node and our /v1/initialize against who should be in the user list. */
async function expectMembership(inList: string[], notInList: string[]) {
  for (const [ids, expected] of [
    [inList, true],
    [notInList, false],
  ] as const) {
    for (const userID of ids) {
      const user = { userID };
      const sdk = sdkGates(user);
      expect([userID, sdk[GATES.in], sdk[GATES.notIn]]).toEqual([userID, expected, !expected]);
      expect([userID, await ourGates(user)]).toEqual([userID, sdk]);
    }
  }
}

describe('ID lists with statsig-node 6.5.2', () => {
  beforeAll(async () => {
    server = await startTestServer({ server: SERVER_KEY, client: CLIENT_KEY, console: CONSOLE_KEY });
    await uploadList(LIST, MEMBERS);
    await uploadList(COMPANY_LIST, ['acme']);
    await api('POST', '/gates', {
      name: GATES.in,
      rules: [
        { name: 'listed', conditions: [{ type: 'unit_id', operator: 'in_segment_list', value: LIST }] },
      ],
    });
    await api('POST', '/gates', {
      name: GATES.notIn,
      rules: [
        {
          name: 'not listed',
          conditions: [{ type: 'unit_id', operator: 'not_in_segment_list', value: LIST }],
        },
      ],
    });
    await api('POST', '/gates', {
      name: GATES.company,
      idType: 'companyID',
      rules: [
        {
          name: 'listed',
          conditions: [{ type: 'unit_id', operator: 'in_segment_list', value: COMPANY_LIST }],
        },
      ],
    });

    const { StatsigServer } = loadStatsigNode();
    const record =
      (level: string) =>
      (...parts: unknown[]) =>
        sdkLog.push(`${level}: ${parts.map(String).join(' ')}`);
    // initStrategyForIDLists is 'await' by default: initialize returns with the lists read.
    statsig = new StatsigServer(SERVER_KEY, {
      api: `${server.url}/v1`,
      logger: { logLevel: 'warn', warn: record('warn'), error: record('error') },
    });
  });

  afterAll(async () => {
    await statsig?.shutdownAsync();
    await server?.close();
  });

  it('initialises with the lists: members pass in_segment_list, everyone else not_in_segment_list', async () => {
    const before = await fileCounters();
    const details = await statsig.initializeAsync();
    expect(details).toMatchObject({ success: true, source: 'Network' });
    // Both files were read whole, from byte 0.
    const after = await fileCounters();
    expect(after.bytes - before.bytes).toBe((MEMBERS.length + 1) * LINE);
    await expectMembership(['member-0', 'member-250', 'member-499'], ['member-500', 'stranger', '']);
    expect(sdkGates({ userID: 'x', customIDs: { companyID: 'acme' } })[GATES.company]).toBe(true);
    expect(sdkGates({ userID: 'x', customIDs: { companyID: 'other' } })[GATES.company]).toBe(false);
    expect((await ourGates({ userID: 'x', customIDs: { companyID: 'acme' } }))[GATES.company]).toBe(true);
  });

  it('sees IDs added and removed after syncStoreIdLists, fetching only the new bytes', async () => {
    const list = (await api('GET', `/id_lists/${LIST}`)) as { size: number; fileId: string };
    await api('POST', `/id_lists/${LIST}/add`, { ids: ['newcomer-1', 'newcomer-2', 'member-1'] });
    await api('POST', `/id_lists/${LIST}/remove`, { ids: ['member-0', 'stranger'] });
    const before = await fileCounters();
    const requestsBefore = sdkRequests.length;

    await statsig.syncStoreIdLists();

    const after = await fileCounters();
    // Two lines added, one removed: 30 bytes, in one 206 from where the SDK had read to.
    expect(after.bytes - before.bytes).toBe(3 * LINE);
    expect(after.partial - before.partial).toBe(1);
    expect(after.whole - before.whole).toBe(0);
    const fetched = fileFetches(requestsBefore);
    expect(fetched.map((request) => [new URL(request.url).pathname, request.status])).toEqual([
      [`/v1/id_list_files/${list.fileId}`, 206],
    ]);
    await expectMembership(['newcomer-1', 'newcomer-2', 'member-1', 'member-499'], ['member-0', 'stranger']);

    // Nothing changed: the next sync downloads nothing.
    const idle = await fileCounters();
    const idleRequests = sdkRequests.length;
    await statsig.syncStoreIdLists();
    expect((await fileCounters()).bytes).toBe(idle.bytes);
    expect(fileFetches(idleRequests)).toEqual([]);
  });

  it('follows a full replacement (a new file id): the SDK resets and reads the new file from byte 0', async () => {
    const previous = (await api('GET', `/id_lists/${LIST}`)) as { fileId: string };
    const replaced = (await uploadList(LIST, ['vip-1', 'vip-2', 'vip-3'])) as {
      fileId: string;
      size: number;
    };
    expect(replaced.fileId).not.toBe(previous.fileId);
    const before = await fileCounters();
    const requestsBefore = sdkRequests.length;

    await statsig.syncStoreIdLists();

    expect((await fileCounters()).bytes - before.bytes).toBe(replaced.size);
    expect(fileFetches(requestsBefore).map((request) => new URL(request.url).pathname)).toEqual([
      `/v1/id_list_files/${replaced.fileId}`,
    ]);
    await expectMembership(['vip-1', 'vip-3'], ['member-1', 'newcomer-1', 'member-499']);
  });

  it('empties a deleted list (statsig-node 6.5.2 keeps lists that vanish, so an empty file replaces it)', async () => {
    await api('DELETE', `/id_lists/${LIST}`);
    await statsig.syncStoreIdLists();
    await expectMembership([], ['vip-1', 'vip-3', 'member-1']);
    // The company list is untouched.
    expect(sdkGates({ userID: 'x', customIDs: { companyID: 'acme' } })[GATES.company]).toBe(true);

    await uploadList(LIST, ['back-1']);
    await statsig.syncStoreIdLists();
    await expectMembership(['back-1'], ['vip-1']);
  });

  it('logged no SDK warnings and made no request outside 127.0.0.1', () => {
    expect(sdkLog).toEqual([]);
    expect(sdkRequests.filter((request) => request.error !== null)).toEqual([]);
    expect(blockedRequests).toEqual([]);
  });
});
