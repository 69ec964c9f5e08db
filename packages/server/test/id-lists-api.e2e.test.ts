/**
 * ID lists through the authoring API and the SDK endpoints, in process, on SQLite and on
 * Postgres (when SWITCHYARD_TEST_DATABASE_URL is set): a streamed million-ID upload, add and
 * remove as appended chunks, list metadata, Range downloads, deletion as an empty file, the
 * audit trail and the revision, and the server's own evaluation of `in_segment_list`.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { idListEntryHash } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-idlist-key-123';
const SERVER = 'secret-idlist-key-123';
const CLIENT = 'client-idlist-key-123';
const MILLION = 1_000_000;

interface IdList {
  name: string;
  fileId: string;
  creationTime: number;
  size: number;
  entryCount: number;
  version: number;
  ids?: number;
  added?: number;
  removed?: number;
  unchanged?: number;
}
interface LookupEntry {
  name: string;
  size: number;
  url: string;
  creationTime: number;
  fileID: string;
}
interface ErrorBody {
  error: { code: string; details?: { field?: string; line?: number } };
}

/** A list-file line for `id`: what SDKs read. */
const line = (op: '+' | '-', id: string) => `${op}${idListEntryHash(id)}\n`;

/** `count` IDs `user-<i>`, one per line, generated as the request streams (never one string). */
function millionIds(count: number): Readable {
  const batch = 10_000;
  return Readable.from(
    (function* () {
      for (let start = 0; start < count; start += batch) {
        let text = '';
        for (let i = start; i < Math.min(count, start + batch); i++) text += `user-${i}\n`;
        yield Buffer.from(text);
      }
    })(),
  );
}

for (const target of TEST_DATABASES) {
  const suite = target.skip ? describe.skip : describe;
  suite(`ID lists on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let database: OpenDatabase;
    let app: App;

    beforeEach(async () => {
      database = await target.open();
      app = await buildApp({ database });
      await app.keys.ensure('production', 'console', CONSOLE);
      await app.keys.ensure('production', 'server', SERVER);
      await app.keys.ensure('production', 'client', CLIENT);
    });
    afterEach(async () => {
      await app.http.close();
      await database.close();
    });

    function api(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      return app.http.inject({
        method,
        url: `/api/v1${url}`,
        headers: {
          authorization: `Bearer ${CONSOLE}`,
          ...(typeof body === 'string' && { 'content-type': 'text/plain' }),
          ...headers,
        },
        ...(body !== undefined && { payload: body as string }),
      });
    }

    const upload = (name: string, text: string, headers: Record<string, string> = {}) =>
      api('PUT', `/id_lists/${name}`, text, headers);

    async function lookup(): Promise<Record<string, LookupEntry>> {
      const response = await app.http.inject({
        method: 'POST',
        url: '/v1/get_id_lists',
        headers: { 'statsig-api-key': SERVER, host: 'flags.test:8080' },
        payload: {},
      });
      expect(response.statusCode).toBe(200);
      return response.json();
    }

    function download(entry: LookupEntry, range?: string) {
      const url = new URL(entry.url);
      return app.http.inject({
        method: 'GET',
        url: url.pathname,
        ...(range !== undefined && { headers: { range } }),
      });
    }

    async function gateFor(list: string) {
      const response = await api('POST', '/gates', {
        name: `in_${list}`,
        rules: [
          {
            name: 'listed',
            conditions: [{ type: 'unit_id', operator: 'in_segment_list', value: list }],
          },
        ],
      });
      expect(response.statusCode).toBe(201);
    }

    async function initializeGate(userID: string, gate: string): Promise<boolean | undefined> {
      const response = await app.http.inject({
        method: 'POST',
        url: `/v1/initialize?k=${CLIENT}`,
        payload: { user: { userID }, hash: 'none' },
      });
      expect(response.statusCode).toBe(200);
      return response.json().feature_gates[gate]?.value;
    }

    it('writes a fresh file once removals make most of the log history (compaction)', async () => {
      const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
      expect((await upload('churn', `${ids.join('\n')}\n`)).statusCode).toBeLessThan(300);
      await gateFor('churn');
      const beforeEntry = (await lookup()).churn;
      expect(beforeEntry?.size).toBe(100_000);
      // A small removal just appends.
      const small = await api('POST', '/id_lists/churn/remove', { ids: ids.slice(0, 10) });
      expect(small.statusCode).toBe(200);
      expect((await lookup()).churn).toMatchObject({ fileID: beforeEntry?.fileID, size: 100_100 });
      // Removing most of the list would leave a file five times bigger than its live entries.
      const big = await api('POST', '/id_lists/churn/remove', { ids: ids.slice(10, 9_000) });
      expect(big.statusCode).toBe(200);
      const after = (await lookup()).churn;
      expect(after?.fileID).not.toBe(beforeEntry?.fileID);
      expect(after?.size).toBe(1_000 * 10);
      expect((after?.creationTime ?? 0) > (beforeEntry?.creationTime ?? 0)).toBe(true);
      const file = await download(after as LookupEntry);
      expect(file.body.split('\n').filter(Boolean).sort()).toEqual(
        ids
          .slice(9_000)
          .map((id) => line('+', id).trim())
          .sort(),
      );
      expect(await initializeGate('user-9500', 'in_churn')).toBe(true);
      expect(await initializeGate('user-5', 'in_churn')).toBe(false);
      expect(await initializeGate('user-8999', 'in_churn')).toBe(false);
    });

    it('takes 1,000,000 IDs in one streamed request and serves them as a list file', async () => {
      await app.http.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.http.server.address() as AddressInfo;
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'PUT',
            path: '/api/v1/id_lists/big_list',
            headers: { authorization: `Bearer ${CONSOLE}`, 'content-type': 'text/plain' },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        // Chunked transfer encoding: the server sees the body only as a stream.
        millionIds(MILLION).pipe(request);
      });
      const seconds = (performance.now() - started) / 1000;
      const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
      console.info(
        `[${target.name}] 1,000,000-ID upload: ${seconds.toFixed(2)} s, heap +${heapGrowthMb.toFixed(0)} MB`,
      );
      expect(response.status).toBe(201);
      const created = JSON.parse(response.body) as IdList;
      expect(created).toMatchObject({ name: 'big_list', ids: MILLION, entryCount: MILLION, version: 1 });
      expect(created.size).toBe(MILLION * 10);

      const members = app.idLists.members.get('big_list');
      for (const id of ['user-0', 'user-1', 'user-500000', 'user-999999']) {
        expect(members?.has(idListEntryHash(id))).toBe(true);
      }
      expect(members?.has(idListEntryHash('user-1000000'))).toBe(false);

      const entry = (await lookup()).big_list as LookupEntry;
      expect(entry).toMatchObject({ name: 'big_list', size: MILLION * 10, fileID: created.fileId });
      const file = await download(entry);
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-length']).toBe(String(MILLION * 10));
      expect(file.body.length).toBe(MILLION * 10);
      expect(file.body.startsWith(line('+', 'user-0'))).toBe(true);
      expect(file.body.includes(line('+', 'user-777777'))).toBe(true);
      expect(file.body.endsWith(line('+', 'user-999999'))).toBe(true);

      await gateFor('big_list');
      expect(await initializeGate('user-123456', 'in_big_list')).toBe(true);
      expect(await initializeGate('someone-else', 'in_big_list')).toBe(false);
    });

    it('reads CSV first columns, \\r\\n, blank lines, duplicates, a header row and gzip', async () => {
      const csv = 'id,plan\r\n"a,1",pro\r\nb , free\r\n\r\n"c""q",x\r\nb,again\r\n';
      const first = await upload('csv_list', csv, { 'content-type': 'text/csv; charset=utf-8' });
      expect(first.statusCode).toBe(201);
      // Without ?header=true the header is an ID like any other.
      expect(first.json()).toMatchObject({ ids: 5, entryCount: 4 });

      const second = await app.http.inject({
        method: 'PUT',
        url: '/api/v1/id_lists/csv_list?header=true',
        headers: {
          authorization: `Bearer ${CONSOLE}`,
          'content-type': 'text/csv',
          'content-encoding': 'gzip',
        },
        payload: gzipSync(csv),
      });
      expect(second.statusCode).toBe(200);
      expect(second.json()).toMatchObject({ ids: 4, entryCount: 3, version: 2 });
      const members = app.idLists.members.get('csv_list');
      for (const id of ['a,1', 'b', 'c"q']) expect(members?.has(idListEntryHash(id))).toBe(true);
      expect(members?.has(idListEntryHash('id'))).toBe(false);

      // No Content-Type at all (as `curl -T` sends): plain text.
      const bare = await app.http.inject({
        method: 'PUT',
        url: '/api/v1/id_lists/bare_list',
        headers: { authorization: `Bearer ${CONSOLE}` },
        payload: Buffer.from('\uFEFFx\n  y  \n'),
      });
      expect(bare.statusCode).toBe(201);
      expect(bare.json()).toMatchObject({ ids: 2, entryCount: 2 });
      expect(app.idLists.members.get('bare_list')?.has(idListEntryHash('y'))).toBe(true);
      expect(app.idLists.members.get('bare_list')?.has(idListEntryHash('x'))).toBe(true);
    });

    it('adds and removes as appended chunks that SDKs fetch with Range', async () => {
      const created = (await upload('beta', 'u1\nu2\nu3\n')).json() as IdList;
      expect(created).toMatchObject({ entryCount: 3, size: 30, version: 1 });

      const added = await api('POST', '/id_lists/beta/add', { ids: ['u4', 'u5', 'u1', ' u4 '] });
      expect(added.statusCode).toBe(200);
      expect(added.json()).toMatchObject({ added: 2, unchanged: 1, entryCount: 5, size: 50, version: 2 });
      expect(added.json().fileId).toBe(created.fileId);
      const removed = await api('POST', '/id_lists/beta/remove', { ids: ['u2', 'nobody'] });
      expect(removed.json()).toMatchObject({ removed: 1, unchanged: 1, entryCount: 4, size: 60, version: 3 });

      const entry = (await lookup()).beta as LookupEntry;
      expect(entry).toEqual({
        name: 'beta',
        size: 60,
        url: `http://flags.test:8080/v1/id_list_files/${created.fileId}`,
        creationTime: created.creationTime,
        fileID: created.fileId,
      });
      // What an SDK that had read the first 30 bytes fetches next: only the changes.
      const tail = await download(entry, 'bytes=30-');
      expect(tail.statusCode).toBe(206);
      expect(tail.headers['content-range']).toBe('bytes 30-59/60');
      expect(tail.headers['content-length']).toBe('30');
      expect(tail.body).toBe(line('+', 'u4') + line('+', 'u5') + line('-', 'u2'));
      const whole = await download(entry);
      expect(whole.statusCode).toBe(200);
      expect(whole.headers['accept-ranges']).toBe('bytes');
      expect(whole.body).toBe(
        ['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => line('+', id)).join('') + line('-', 'u2'),
      );
      expect((await download(entry, 'bytes=10-19')).body).toBe(line('+', 'u2'));
      expect((await download(entry, 'bytes=-10')).body).toBe(line('-', 'u2'));
      const past = await download(entry, 'bytes=60-');
      expect(past.statusCode).toBe(416);
      expect(past.headers['content-range']).toBe('bytes */60');
      expect(past.json()).toMatchObject({ error: { code: 'range_not_satisfiable' } });
      // A header we cannot read is ignored: the whole file.
      expect((await download(entry, 'lines=1-')).statusCode).toBe(200);

      // Adding only IDs already in writes nothing and moves no revision.
      const revision = (await app.entities.revision()).revision;
      const noop = await api('POST', '/id_lists/beta/add', { ids: ['u1'] });
      expect(noop.json()).toMatchObject({ added: 0, unchanged: 1, version: 3, size: 60 });
      expect((await app.entities.revision()).revision).toBe(revision);

      const members = app.idLists.members.get('beta');
      expect(['u1', 'u3', 'u4', 'u5'].every((id) => members?.has(idListEntryHash(id)))).toBe(true);
      expect(members?.has(idListEntryHash('u2'))).toBe(false);
    });

    it('lists metadata, audits every change without the IDs, and bumps the revision', async () => {
      const before = (await app.entities.revision()).revision;
      await upload('list_b', 'x\n');
      await upload('list_a', 'p\nq\n');
      await api('POST', '/id_lists/list_a/add', { ids: ['r'], reason: 'one more' });
      expect((await app.entities.revision()).revision).toBe(before + 3);

      const listed = await api('GET', '/id_lists');
      expect(listed.statusCode).toBe(200);
      expect(
        (listed.json().idLists as IdList[]).map((list) => [list.name, list.entryCount, list.size]),
      ).toEqual([
        ['list_a', 3, 30],
        ['list_b', 1, 10],
      ]);
      const one = await api('GET', '/id_lists/list_a');
      expect(one.statusCode).toBe(200);
      expect(one.headers.etag).toBe('"2"');
      expect(one.json()).toMatchObject({ name: 'list_a', entryCount: 3, size: 30, version: 2 });
      expect(typeof one.json().updatedAt).toBe('number');

      const audit = await api('GET', '/audit?kind=id_list');
      const entries = audit.json().entries as {
        action: string;
        name: string;
        actor: string;
        reason: string | null;
        diff: { before: unknown; after: Record<string, unknown> };
      }[];
      expect(entries.map((entry) => [entry.action, entry.name])).toEqual([
        ['add', 'list_a'],
        ['create', 'list_a'],
        ['create', 'list_b'],
      ]);
      expect(entries[0]).toMatchObject({
        reason: 'one more',
        diff: { before: { entryCount: 2, size: 20 }, after: { entryCount: 3, size: 30, added: 1 } },
      });
      expect(entries[0]?.actor).toMatch(/^key:/);
      expect(JSON.stringify(entries)).not.toContain(idListEntryHash('r'));
    });

    it('replaces with a new file id and a later creation time; SDKs still get the file they started', async () => {
      const first = (await upload('swap', 'a\nb\n')).json() as IdList;
      const firstEntry = (await lookup()).swap as LookupEntry;
      const second = await upload('swap', 'c\n');
      expect(second.statusCode).toBe(200);
      const replaced = second.json() as IdList;
      expect(replaced.fileId).not.toBe(first.fileId);
      expect(replaced.creationTime).toBeGreaterThan(first.creationTime);
      expect(replaced).toMatchObject({ entryCount: 1, size: 10, version: 2 });
      expect(app.idLists.members.get('swap')?.has(idListEntryHash('a'))).toBe(false);
      // A download that began from the previous lookup can finish.
      expect((await download(firstEntry)).body).toBe(line('+', 'a') + line('+', 'b'));
      await upload('swap', 'd\n');
      // Two files on, the first one is gone.
      expect((await download(firstEntry)).statusCode).toBe(404);
    });

    it('deletes a list by serving an empty replacement file, and brings it back on upload', async () => {
      const created = (await upload('gone', 'a\n')).json() as IdList;
      await gateFor('gone');
      expect(await initializeGate('a', 'in_gone')).toBe(true);

      const deleted = await api('DELETE', '/id_lists/gone?reason=cleanup');
      expect(deleted.statusCode).toBe(204);
      expect((await api('GET', '/id_lists/gone')).statusCode).toBe(404);
      expect((await api('GET', '/id_lists')).json().idLists).toEqual([]);
      expect((await api('DELETE', '/id_lists/gone')).statusCode).toBe(404);
      expect((await api('POST', '/id_lists/gone/add', { ids: ['b'] })).statusCode).toBe(404);
      // statsig-node 6.5.2 never drops a list that vanishes: it is told of an empty new file.
      const entry = (await lookup()).gone as LookupEntry;
      expect(entry.size).toBe(0);
      expect(entry.fileID).not.toBe(created.fileId);
      expect(entry.creationTime).toBeGreaterThan(created.creationTime);
      const empty = await download(entry);
      expect(empty.statusCode).toBe(200);
      expect(empty.headers['content-length']).toBe('0');
      expect(await initializeGate('a', 'in_gone')).toBe(false);

      const revived = await upload('gone', 'b\n');
      expect(revived.statusCode).toBe(201);
      expect(revived.json()).toMatchObject({ entryCount: 1, version: 3 });
      expect(await initializeGate('b', 'in_gone')).toBe(true);
      expect(await initializeGate('a', 'in_gone')).toBe(false);
    });

    it('rejects a stale If-Match with 409', async () => {
      await upload('guarded', 'a\n');
      await api('POST', '/id_lists/guarded/add', { ids: ['b'] });
      const stale = await api('POST', '/id_lists/guarded/add', { ids: ['c'] }, { 'if-match': '"1"' });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toMatchObject({
        error: { code: 'version_conflict', details: { currentVersion: 2 } },
      });
      const current = await upload('guarded', 'z\n', { 'if-match': '"2"' });
      expect(current.statusCode).toBe(200);
      expect((await api('DELETE', '/id_lists/guarded', undefined, { 'if-match': '"2"' })).statusCode).toBe(
        409,
      );
    });

    it('refuses bad input with 400 and the field, never a 500', async () => {
      const cases: [Awaited<ReturnType<typeof api>>, number, string, string | undefined][] = [
        [await upload('Bad Name', 'a\n'), 400, 'invalid_request', 'params.name'],
        [await api('POST', '/id_lists/x/add', { ids: 'a' }), 400, 'invalid_request', 'body.ids'],
        [await api('POST', '/id_lists/x/add', { ids: ['ok', ' '] }), 400, 'invalid_request', 'body.ids.1'],
        [await api('POST', '/id_lists/x/add', { ids: [7] }), 400, 'invalid_request', 'body.ids.0'],
        [await api('POST', '/id_lists/x/add', {}), 400, 'invalid_request', 'body.ids'],
        [await api('POST', '/id_lists/x/add', 'a\n'), 415, 'unsupported_media_type', 'headers.content-type'],
        [
          await api('POST', '/id_lists/x/add', { ids: Array.from({ length: 100_001 }, (_, i) => `u${i}`) }),
          400,
          'invalid_request',
          'body.ids',
        ],
        [
          await api('POST', '/id_lists/x/remove', { ids: ['x'.repeat(1001)] }),
          400,
          'invalid_request',
          'body.ids.0',
        ],
        [await api('POST', '/id_lists/missing/add', { ids: ['a'] }), 404, 'not_found', undefined],
        [await api('GET', '/id_lists/missing'), 404, 'not_found', undefined],
        [await upload('x', 'a\n"broken\n', { 'content-type': 'text/csv' }), 400, 'invalid_id', 'body'],
        [await upload('x', `a\n${'y'.repeat(2000)}\n`), 400, 'invalid_id', 'body'],
        [
          await upload('x', 'a\n', { 'content-type': 'application/json' }),
          415,
          'unsupported_media_type',
          'headers.content-type',
        ],
        [
          await upload('x', 'a\n', { 'content-encoding': 'br' }),
          415,
          'unsupported_media_type',
          'headers.content-encoding',
        ],
        [await upload('x', 'not gzip', { 'content-encoding': 'gzip' }), 400, 'unreadable_body', 'body'],
        [await upload('x', 'a', { 'content-length': '300000000' }), 413, 'payload_too_large', 'body'],
        [await upload('x', 'a\n', { 'if-match': '"1"' }), 404, 'not_found', undefined],
        [await api('PUT', '/id_lists/x?header=maybe', 'a\n'), 400, 'invalid_request', 'querystring.header'],
      ];
      for (const [response, status, code, field] of cases) {
        expect([response.statusCode, (response.json() as ErrorBody).error.code]).toEqual([status, code]);
        expect((response.json() as ErrorBody).error.details?.field).toBe(field);
      }
      const long = await upload('x', `a\n${'y'.repeat(2000)}\n`);
      expect((long.json() as ErrorBody).error.details?.line).toBe(2);
      expect((await api('GET', '/id_lists')).json().idLists).toEqual([]);

      const unauthenticated = await app.http.inject({ method: 'GET', url: '/api/v1/id_lists' });
      expect(unauthenticated.statusCode).toBe(401);
      const serverKey = await api('GET', '/id_lists', undefined, { authorization: `Bearer ${SERVER}` });
      expect(serverKey.statusCode).toBe(403);
      const noKey = await app.http.inject({ method: 'POST', url: '/v1/get_id_lists', payload: {} });
      expect(noKey.statusCode).toBe(401);
      const consoleKey = await app.http.inject({
        method: 'POST',
        url: '/v1/get_id_lists',
        headers: { 'statsig-api-key': CONSOLE },
        payload: {},
      });
      expect(consoleKey.statusCode).toBe(403);
      for (const url of ['/v1/id_list_files/guess', '/v1/id_list_files/AAAAAAAAAAAAAAAAAAAAAA']) {
        expect((await app.http.inject({ method: 'GET', url })).statusCode).toBe(404);
      }
    });

    it('documents the routes in the OpenAPI document', async () => {
      const document = (await app.http.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
      };
      expect(Object.keys(document.paths['/api/v1/id_lists/{name}'] ?? {}).sort()).toEqual([
        'delete',
        'get',
        'put',
      ]);
      expect(Object.keys(document.paths['/api/v1/id_lists/{name}']?.put?.requestBody?.content ?? {})).toEqual(
        ['text/plain', 'text/csv'],
      );
      expect(document.paths['/api/v1/id_lists/{name}/add']?.post).toBeDefined();
      expect(document.paths['/api/v1/id_lists/{name}/remove']?.post).toBeDefined();
      expect(document.paths['/api/v1/id_lists']?.get).toBeDefined();
    });
  });
}

describe('ID list file URLs', () => {
  it('use SWITCHYARD_PUBLIC_URL when it is set', async () => {
    expect(readConfig([], { SWITCHYARD_PUBLIC_URL: 'https://flags.example.com/' }).publicUrl).toBe(
      'https://flags.example.com',
    );
    expect(readConfig([], {}).publicUrl).toBeUndefined();
    expect(() => readConfig([], { SWITCHYARD_PUBLIC_URL: 'flags.example.com' })).toThrow();

    const database = await TEST_DATABASES[0]?.open();
    if (!database) throw new Error('no SQLite');
    const app = await buildApp({ database, publicUrl: 'https://flags.example.com' });
    try {
      await app.keys.ensure('production', 'console', CONSOLE);
      await app.keys.ensure('production', 'server', SERVER);
      await app.http.inject({
        method: 'PUT',
        url: '/api/v1/id_lists/l',
        headers: { authorization: `Bearer ${CONSOLE}`, 'content-type': 'text/plain' },
        payload: 'a\n',
      });
      const lookup = await app.http.inject({
        method: 'POST',
        url: '/v1/get_id_lists',
        headers: { 'statsig-api-key': SERVER },
        payload: {},
      });
      expect(lookup.json().l.url).toMatch(/^https:\/\/flags\.example\.com\/v1\/id_list_files\/[\w-]{22}$/);
    } finally {
      await app.http.close();
      await database.close();
    }
  });
});
