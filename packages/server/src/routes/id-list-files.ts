import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NotFoundError, RangeNotSatisfiableError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import { ID_LIST_FILE_PATH, type IdListService } from '../services/id-list-service.js';
import type { KeyStore } from '../store/key-store.js';

export interface IdListFileRoutesOptions {
  /** The server's public base URL (`SWITCHYARD_PUBLIC_URL`); by default taken from each request. */
  publicUrl?: string;
  /** Told how many list-file bytes each download sends. */
  onBytesServed?: (bytes: number) => void;
}

/** What `newFileId` makes: 16 random bytes, base64url. */
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The ID-list half of Statsig's server-SDK protocol (protocol doc §6): `POST /get_id_lists`
 * (server key) announces every list file with an absolute URL, and `GET` of that URL serves the
 * file with `Range` support. statsig-node sends no headers at all on that download, so the URL
 * itself authorises it: it names the file by its random, unguessable id, which only
 * get_id_lists (server key) and the authoring API (console key) reveal.
 *
 * Files are sent uncompressed and always with Content-Length: statsig-node adds Content-Length
 * to the offset it asks for next.
 */
export function idListFileRoutes(
  idLists: IdListService,
  keys: KeyStore,
  options: IdListFileRoutesOptions = {},
): FastifyPluginAsync {
  return async (app) => {
    const baseUrl = (request: FastifyRequest) =>
      `${options.publicUrl ?? `${request.protocol}://${request.host}`}${app.prefix}`;

    app.post('/get_id_lists', async (request) => {
      await authenticate(keys, presentedKey(request), ['server']);
      return idLists.lookup(baseUrl(request));
    });

    app.get<{ Params: { fileId: string } }>(`${ID_LIST_FILE_PATH}/:fileId`, async (request, reply) => {
      const { fileId } = request.params;
      if (!FILE_ID.test(fileId)) throw new NotFoundError('not_found', 'no such ID list file', { fileId });
      const range = request.headers.range;
      try {
        const file = await idLists.file(fileId, range);
        const length = file.end - file.start;
        options.onBytesServed?.(length);
        reply
          .header('content-type', 'text/plain; charset=utf-8')
          .header('content-length', length)
          .header('accept-ranges', 'bytes')
          // The same URL grows with every change: never serve a stale copy from a cache.
          .header('cache-control', 'no-cache');
        if (file.partial) {
          reply.status(206).header('content-range', `bytes ${file.start}-${file.end - 1}/${file.size}`);
        }
        return reply.send(length === 0 ? '' : Readable.from(file.body, { objectMode: false }));
      } catch (error) {
        // RFC 9110: a 416 names the current length, so a client can tell where the file ends.
        if (error instanceof RangeNotSatisfiableError)
          reply.header('content-range', `bytes */${error.details?.size}`);
        throw error;
      }
    });
  };
}
