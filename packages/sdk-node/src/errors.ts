/**
 * What went wrong, as reported to `onError` and in `initDetails.error`.
 *
 * @example
 * if (sdk.initDetails.error?.code === ERROR_CODES.network) console.warn('serving the cache');
 */
export const ERROR_CODES = {
  /** The server could not be reached (connection refused, reset, DNS, timeout). */
  network: 'network',
  /** The server answered with an unexpected HTTP status. */
  httpStatus: 'http_status',
  /** The server's answer could not be understood (bad JSON, wrong shape, bad gzip). */
  invalidResponse: 'invalid_response',
  /** Initialization gave up waiting (`initTimeoutMs`). */
  timeout: 'timeout',
  /** A caller passed something unusable (no user ID, empty name, bad options). */
  invalidArgument: 'invalid_argument',
  /** The cache file could not be read or written. */
  cache: 'cache',
  /** Events could not be delivered and were dropped. */
  eventsDropped: 'events_dropped',
  /** A bug: something threw where nothing should. */
  internal: 'internal',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * Every problem the SDK reports. Public methods never throw it: they return a default with a
 * reason and hand the error to the `onError` option.
 *
 * @example
 * await Switchyard.init({ serverKey, url, onError: (e) => log.warn({ code: e.code }, e.message) });
 */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** HTTP status, when the server answered with one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any thrown value as a SwitchyardError (unknown values become `internal`). */
export function toSwitchyardError(
  error: unknown,
  fallback: ErrorCode = ERROR_CODES.internal,
): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SwitchyardError(fallback, message, undefined, { cause: error });
}
