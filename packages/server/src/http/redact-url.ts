import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * Secrets that travel in URLs: server keys in the download_config_specs path and `?k=`, and the
 * file ids that authorise ID-list downloads. Request logs show them as `[redacted]`.
 */
const SECRET_IN_PATH = /(\/download_config_specs\/|\/id_list_files\/)[^/?#]+/g;
const SECRET_IN_QUERY = /([?&]k=)[^&#]*/g;

export function redactUrl(url: string): string {
  return url.replace(SECRET_IN_PATH, '$1[redacted]').replace(SECRET_IN_QUERY, '$1[redacted]');
}

/** Fastify's request log line, with the URL redacted. */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Adds the redacting request serializer to a Fastify logger option. */
export function withRedactedUrls(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  const serializers = (options as { serializers?: Record<string, unknown> }).serializers ?? {};
  return {
    ...options,
    serializers: { ...serializers, req: serializeRequest },
  } as FastifyServerOptions['logger'];
}
