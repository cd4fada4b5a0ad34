import fc from 'fast-check';

/**
 * The server's OpenAPI document as inputs: every operation with its parameters and body
 * schema, and fast-check arbitraries derived from those JSON Schemas (the subset the
 * document uses: type, enum, anyOf, nullable, properties/required/additionalProperties,
 * maxProperties, items/minItems/maxItems/uniqueItems, minLength/maxLength/pattern/format,
 * minimum/maximum), plus hostile values that no schema allows.
 */

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** As the document writes it: `/v1/requests/{id}`. */
  path: string;
  parameters: Parameter[];
  body?: JsonSchema;
  /** `security: []`: the operation needs no credentials. */
  open: boolean;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(body ? { body } : {}),
        open: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return operations;
}

/** Generated strings stay short; the long ones come from `hostileString`. */
const MAX_GENERATED_LENGTH = 48;

const text = (min = 0, max = MAX_GENERATED_LENGTH) =>
  fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, max) });

/** RFC 3339 date-times, with the edge cases a date parser trips on (leap seconds, year 0, offsets). */
const dateTime = fc.oneof(
  fc
    .date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-06-30T23:59:60Z',
    '2026-12-31T23:59:60+00:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999999Z',
    '2026-02-29T12:00:00Z',
    '2024-02-29T12:00:00-23:59',
    '2026-01-01t00:00:00z',
    '2026-01-01T00:00:00+14:00',
  ),
);

/** Values valid for `schema`, as far as the subset goes (patterns by regex, formats by hand). */
export function arbitraryOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  const value = baseArbitrary(schema);
  return schema.nullable ? fc.option(value, { nil: null }) : value;
}

function baseArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(arbitraryOf));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e9,
        max: schema.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = arbitraryOf(schema.items ?? {});
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(items, constraints);
    }
    case 'object':
      return objectOf(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? MAX_GENERATED_LENGTH, MAX_GENERATED_LENGTH);
  if (schema.format === 'date-time') return dateTime;
  if (schema.format === 'email')
    return fc.emailAddress().filter((e) => e.length <= (schema.maxLength ?? 254));
  if (schema.pattern) {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY));
  }
  return text(min, max);
}

function objectOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const known = fc.record(
    Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, arbitraryOf(sub)])),
    { requiredKeys: schema.required ?? [] },
  );
  const extra = schema.additionalProperties;
  if (extra === undefined || extra === false) return known;
  const free = fc.dictionary(
    text(1, 12),
    extra === true ? fc.jsonValue({ maxDepth: 2 }) : arbitraryOf(extra),
    { maxKeys: Math.min(schema.maxProperties ?? 4, 4) },
  );
  return fc.tuple(known, free).map(([a, b]) => ({ ...b, ...(a as object) }));
}

/** One MiB of text: larger than any field allows, and than most bodies may be. */
export const MEGABYTE = 'x'.repeat(1 << 20);

/** Strings that no field should let through to the database as they are. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'ls\u0000 -la',
    '\ud800',
    'tail \udfff',
    'x\udbff\u0000',
    MEGABYTE,
    `${MEGABYTE}\u0000`,
    '',
    ' ',
    '\u202e\u2066rm -rf /',
    "'; drop table requests; --",
    '%00',
    '../../etc/passwd',
    '__proto__',
    'constructor',
    '\uFEFF',
    '𝔤𝔞𝔱𝔢',
  ),
  fc.string({ unit: 'binary', maxLength: 24 }),
  text(0, 24).map((s) => `${s}\u0000${s}`),
  text(0, 24).map((s) => `${s}\ud83d`),
);

/** Any value, including the wrong types for a field and the hostile strings. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(true, false, 0, -1, 12345, 1e308, -0, null, [], {}, ['ls'], { $ne: null }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Replaces one leaf (or adds one key) of a JSON value with a hostile value. */
export function corrupt(value: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, [...path, i]);
    } else if (node && typeof node === 'object')
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(value, []);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      hostileValue,
      fc.constantFrom('replace', 'add'),
      fc.constantFrom('extra', '__proto__', 'constructor', '\u0000', '\ud800'),
    )
    .map(([path, replacement, how, key]) => {
      const copy = structuredClone(value) as unknown;
      if (path.length === 0)
        return how === 'add' && isObject(copy) ? { ...copy, [key]: replacement } : replacement;
      let parent = copy as Record<string | number, unknown>;
      for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
      const last = path[path.length - 1]!;
      if (how === 'add' && isObject(parent[last]))
        (parent[last] as Record<string, unknown>)[key] = replacement;
      else parent[last] = replacement;
      return copy;
    });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Bodies as raw text: what JSON.stringify cannot produce, and what the parser must survive. */
export const hostileRawBody: fc.Arbitrary<{ payload: string; contentType?: string }> = fc.oneof(
  fc.constantFrom(
    { payload: '{"kind":' },
    { payload: '' },
    { payload: 'null' },
    { payload: '[]' },
    { payload: '"text"' },
    { payload: '1e400' },
    { payload: '{"a":1,"a":2}' },
    { payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
    { payload: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` },
    { payload: '{"__proto__":{"isAdmin":true}}' },
    { payload: '{"constructor":{"prototype":{"isAdmin":true}}}' },
    { payload: '{"x":"\\ud800"}' },
    { payload: '{"x":"\\u0000"}' },
    { payload: '{"kind":"shell","command":"ls"}', contentType: 'text/plain' },
    { payload: '{"kind":"shell","command":"ls"}', contentType: 'application/json; charset=utf-16' },
    { payload: 'kind=shell&command=ls', contentType: 'application/x-www-form-urlencoded' },
    { payload: `{"pad":"${'x'.repeat(300 * 1024)}"}` },
  ),
  fc.string({ unit: 'binary', maxLength: 64 }).map((payload) => ({ payload })),
);

/**
 * A query or path value on the wire. Lone surrogates cannot be percent-encoded as UTF-8
 * (encodeURIComponent throws): they travel as the bytes a careless encoder would send
 * (CESU-8), which is what a server receives from one.
 */
export function encodeComponent(value: string): string {
  let out = '';
  for (const char of value) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(char);
  }
  return out;
}

/** A query string from parameter values, each as text; anything but an object is sent as one bare word. */
export function queryString(values: unknown): string {
  if (!isObject(values)) {
    const word = typeof values === 'string' ? values : (JSON.stringify(values) ?? '');
    return word ? `?${encodeComponent(word)}` : '';
  }
  const pairs = Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) => `${encodeComponent(k)}=${encodeComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
    );
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

/** Fills `{name}` placeholders of a document path with encoded values. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeComponent(values[name] ?? 'x'));
}
