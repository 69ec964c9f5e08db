import type { FastifyPluginAsync } from 'fastify';
import { InvalidInputError } from '../errors.js';

/**
 * The deepest nesting of objects and arrays a request body may have. The deepest real payloads
 * (a config value, a Statsig DCS import) are a dozen levels; recursive code downstream (the
 * evaluator, diffs, JSON.stringify) must never meet thousands.
 */
export const MAX_JSON_DEPTH = 64;

/** The longest `field` reported for a body that is too deep (the path can be long). */
const MAX_FIELD_CHARS = 200;

interface Frame {
  value: object;
  depth: number;
  key: string;
  parent: Frame | undefined;
}

/**
 * Where `value` first nests deeper than `max` levels (a scalar is level 0, `{}` and `[]` level
 * 1), as a dotted path from `root` (`body.user.custom.a`); undefined when it does not. Walks
 * without recursion, so no input can exhaust the stack, and stops at the first level too deep.
 *
 * @example
 * tooDeepAt({ a: [[1]] }, 2); // 'body.a.0'
 * tooDeepAt({ a: [1] }, 2); // undefined
 */
export function tooDeepAt(value: unknown, max: number, root = 'body'): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Frame[] = [{ value, depth: 1, key: root, parent: undefined }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.depth > max) return pathOf(frame);
    const children = Array.isArray(frame.value) ? frame.value.entries() : Object.entries(frame.value);
    for (const [key, child] of children) {
      if (child !== null && typeof child === 'object') {
        stack.push({ value: child, depth: frame.depth + 1, key: String(key), parent: frame });
      }
    }
  }
  return undefined;
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let at: Frame | undefined = frame; at; at = at.parent) keys.push(at.key);
  const path = keys.reverse().join('.');
  return path.length > MAX_FIELD_CHARS ? `${path.slice(0, MAX_FIELD_CHARS)}…` : path;
}

/** The 400 for a body nested deeper than `max` levels; `field` is where (see tooDeepAt). */
export function bodyTooDeep(field: string, max = MAX_JSON_DEPTH): InvalidInputError {
  return new InvalidInputError('body_too_deep', `the body is nested deeper than ${max} levels`, {
    field,
    limit: max,
  });
}

/**
 * Refuses parsed JSON bodies nested deeper than `max` levels with a 400 `body_too_deep`, before
 * any route's schema or handler sees them. Applies to every route registered after it (it runs
 * in the parent's context, like fastify-plugin); bodies a route reads itself (Buffers, upload
 * streams) are left to that route.
 */
export function jsonDepthLimit(max = MAX_JSON_DEPTH): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('preValidation', async (request) => {
      const body = request.body;
      if (body === null || typeof body !== 'object') return;
      const prototype = Object.getPrototypeOf(body);
      if (!Array.isArray(body) && prototype !== Object.prototype && prototype !== null) return;
      const field = tooDeepAt(body, max);
      if (field !== undefined) throw bodyTooDeep(field, max);
    });
  };
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}
