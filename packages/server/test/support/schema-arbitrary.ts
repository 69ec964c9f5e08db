import fc from 'fast-check';

/** A JSON Schema (draft 2020-12, as `z.toJSONSchema` writes it), read loosely. */
type Schema = boolean | { [keyword: string]: unknown };

export interface SchemaArbitraryOptions {
  /** What replaces a valid value now and then: wrong types, edge values, hostile strings. */
  weird: fc.Arbitrary<unknown>;
  /** One value in this many is weird instead of valid (and one object in this many misses keys). */
  mutateOneIn?: number;
  /** `$ref` nesting after which recursive definitions stop growing (they end in a scalar). */
  maxRefDepth?: number;
  /** Strings for `format: uri` (kept local, so nothing the fuzz creates calls out to the internet). */
  urls?: readonly string[];
}

const SCALAR = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
/** Beyond this, `maxLength`, `maxItems` and ranges are probed at their edge, not sampled across. */
const SAMPLE_LENGTH = 12;
const SAMPLE_ITEMS = 3;
const SAMPLE_RANGE = 1_000_000;

/**
 * Values shaped by a JSON Schema, mostly valid and sometimes not: each value has a `1 /
 * mutateOneIn` chance of being replaced by a weird one, so a random body usually gets past the
 * route's schema and into its service, where a missing check would show as a 5xx.
 *
 * @example
 * schemaArbitrary(z.toJSONSchema(body, { io: 'input' }), { weird: fc.constant('NaN') });
 */
export function schemaArbitrary(root: Schema, options: SchemaArbitraryOptions): fc.Arbitrary<unknown> {
  const mutateOneIn = options.mutateOneIn ?? 25;
  const maxRefDepth = options.maxRefDepth ?? 3;
  const urls = options.urls ?? ['http://127.0.0.1:9/hook'];
  const definitions = (typeof root === 'object' && (root.$defs as Record<string, Schema>)) || {};

  const maybeWeird = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: mutateOneIn - 1, arbitrary: valid }, { weight: 1, arbitrary: options.weird });

  const build = (schema: Schema, refDepth: number): fc.Arbitrary<unknown> =>
    maybeWeird(buildValid(schema, refDepth));

  function buildValid(schema: Schema, refDepth: number): fc.Arbitrary<unknown> {
    if (schema === false) return options.weird;
    if (schema === true || schema === undefined) return SCALAR;
    if (typeof schema.$ref === 'string') {
      const target = definitions[schema.$ref.replace('#/$defs/', '')];
      if (target === undefined || refDepth >= maxRefDepth) return SCALAR;
      return buildValid(target, refDepth + 1);
    }
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
    const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (Array.isArray(alternatives) && alternatives.length > 0) {
      return fc.oneof(...alternatives.map((alternative) => buildValid(alternative, refDepth)));
    }
    if (Array.isArray(schema.allOf)) {
      return buildValid(Object.assign({}, ...(schema.allOf as object[])), refDepth);
    }
    const types = [schema.type].flat().filter((type): type is string => typeof type === 'string');
    if (types.length === 0) return schema.properties ? object(schema, refDepth) : SCALAR;
    return fc.oneof(...types.map((type) => ofType(type, schema, refDepth)));
  }

  function ofType(type: string, schema: Record<string, unknown>, refDepth: number): fc.Arbitrary<unknown> {
    switch (type) {
      case 'string':
        return string(schema);
      case 'number':
      case 'integer':
        return number(schema, type === 'integer');
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return array(schema, refDepth);
      case 'object':
        return object(schema, refDepth);
      default:
        return SCALAR;
    }
  }

  function string(schema: Record<string, unknown>): fc.Arbitrary<string> {
    const minLength = Number(schema.minLength ?? 0);
    const maxLength = Number(schema.maxLength ?? SAMPLE_LENGTH);
    switch (schema.format) {
      case 'date-time':
        return date().map((at) => at.toISOString());
      case 'date':
        return date().map((at) => at.toISOString().slice(0, 10));
      case 'uri':
      case 'url':
        return fc.constantFrom(...urls);
      case 'email':
        return fc.constantFrom('a@example.com', 'b+tag@example.org');
      case 'uuid':
        return fc.uuid();
    }
    if (typeof schema.pattern === 'string') {
      try {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length <= maxLength);
      } catch {
        // A pattern JavaScript cannot compile: any string will do.
      }
    }
    const sampled = fc.string({
      minLength,
      maxLength: Math.max(minLength, Math.min(maxLength, SAMPLE_LENGTH)),
    });
    return maxLength > SAMPLE_LENGTH
      ? fc.oneof(
          { weight: 9, arbitrary: sampled },
          { weight: 1, arbitrary: fc.constant('x'.repeat(maxLength)) },
        )
      : sampled;
  }

  function number(schema: Record<string, unknown>, integer: boolean): fc.Arbitrary<number> {
    const exclusiveMin = typeof schema.exclusiveMinimum === 'number';
    const exclusiveMax = typeof schema.exclusiveMaximum === 'number';
    const min = Number(schema.minimum ?? schema.exclusiveMinimum ?? -SAMPLE_RANGE);
    const max = Number(schema.maximum ?? schema.exclusiveMaximum ?? SAMPLE_RANGE);
    const low = Math.max(min, -SAMPLE_RANGE);
    const high = Math.max(low, Math.min(max, SAMPLE_RANGE));
    const edges = [exclusiveMin ? null : min, exclusiveMax ? null : max].filter(
      (edge): edge is number =>
        edge !== null && Number.isFinite(edge) && (!integer || Number.isInteger(edge)),
    );
    const sampled = integer
      ? fc.integer({ min: Math.ceil(low), max: Math.floor(high) })
      : fc.double({
          min: low,
          max: high,
          minExcluded: exclusiveMin && low === min,
          maxExcluded: exclusiveMax && high === max,
          noNaN: true,
        });
    return edges.length > 0
      ? fc.oneof({ weight: 4, arbitrary: sampled }, { weight: 1, arbitrary: fc.constantFrom(...edges) })
      : sampled;
  }

  function array(schema: Record<string, unknown>, refDepth: number): fc.Arbitrary<unknown[]> {
    if (Array.isArray(schema.prefixItems)) {
      return fc.tuple(...(schema.prefixItems as Schema[]).map((item) => build(item, refDepth)));
    }
    const minLength = Number(schema.minItems ?? 0);
    const maxLength = Math.max(minLength, Math.min(Number(schema.maxItems ?? SAMPLE_ITEMS), SAMPLE_ITEMS));
    return fc.array(build((schema.items as Schema) ?? true, refDepth), { minLength, maxLength });
  }

  function object(schema: Record<string, unknown>, refDepth: number): fc.Arbitrary<unknown> {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const required = ((schema.required ?? []) as string[]).filter((key) => key in properties);
    const shape = Object.fromEntries(
      Object.entries(properties).map(([key, property]) => [key, build(property, refDepth)]),
    );
    const complete = fc.record(shape, { requiredKeys: required });
    // Now and then required keys go missing too.
    const known = fc.oneof(
      { weight: mutateOneIn - 1, arbitrary: complete },
      { weight: 1, arbitrary: fc.record(shape, { requiredKeys: [] }) },
    );
    const additional = schema.additionalProperties;
    if (additional === undefined || additional === false) return known;
    const extra = fc.dictionary(fc.string({ maxLength: 8 }), build(additional as Schema, refDepth), {
      maxKeys: SAMPLE_ITEMS,
    });
    return fc.tuple(extra, known).map(([more, value]) => ({ ...more, ...(value as object) }));
  }

  return build(root, 0);
}

function date(): fc.Arbitrary<Date> {
  return fc.date({
    min: new Date('2000-01-01T00:00:00Z'),
    max: new Date('2100-01-01T00:00:00Z'),
    noInvalidDate: true,
  });
}
