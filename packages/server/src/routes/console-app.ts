import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The built console in this checkout: apps/console/dist beside packages/ (from src/ or dist/ alike). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../../apps/console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.map']);

interface Asset {
  type: string;
  /** Hashed build outputs never change: cached for a year; everything else revalidates. */
  immutable: boolean;
  raw: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  etag: string;
}

/** Paths the console never answers, so an unknown API path stays a JSON 404. */
const API_PREFIXES = ['/api/', '/v1/', '/metrics', '/healthz', '/readyz'];

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      const extension = extname(name);
      const raw = readFileSync(path);
      const compress = COMPRESSIBLE.has(extension) && raw.length > 512;
      assets.set(url, {
        type: TYPES[extension] ?? 'application/octet-stream',
        immutable: url.startsWith('/assets/'),
        raw,
        ...(compress && {
          gzip: gzipSync(raw, { level: 9 }),
          br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
        }),
        etag: `"${raw.length.toString(16)}-${statSync(path).mtimeMs.toString(16)}"`,
      });
    }
  };
  walk(dir);
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply
    .header('content-type', asset.type)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (asset.br && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(asset.br);
  if (asset.gzip && /\bgzip\b/.test(accepted))
    return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.raw);
}

/**
 * Serves the built web console at `/`: files compressed once at start (brotli and gzip), hashed
 * assets cached immutably, and index.html for every other GET a browser makes, so the console's
 * own paths (/gates/new_checkout) survive a reload. Without a build, `/` says how to make one.
 */
export function registerConsole(app: FastifyInstance, dir: string = DEFAULT_CONSOLE_DIR): void {
  const built = existsSync(join(dir, 'index.html'));
  const assets = built ? loadAssets(dir) : new Map<string, Asset>();
  const index = assets.get('/index.html');

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (index) return send(request, reply, index);
    return reply
      .status(503)
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><title>Switchyard</title><p>The console is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and restart the server. The API is at <a href="/api/docs">/api/docs</a>.</p>',
      );
  });
  app.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.url.split('?')[0] as string);
    if (!asset) return reply.status(404).send({ error: { code: 'not_found', message: 'no such asset' } });
    return send(request, reply, asset);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] as string;
    const asset = assets.get(path);
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !API_PREFIXES.some((prefix) => path.startsWith(prefix)) &&
      String(request.headers.accept ?? '').includes('text/html');
    if (asset && request.method === 'GET') return send(request, reply, asset);
    if (index && wantsPage) return send(request, reply, index);
    return reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${path}`, details: {} } });
  });
}
