import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { isPlainObject } from './envelope.js';
import { SamaError, bareError, samaError, type CatalogEntry } from './errors.js';

/**
 * A field's catalogued errors by kind of failure, for fields where SAMA tells them apart (e.g.
 * `conversation_create.type`: absent → `Conversation type missed.`, any other value → `The type
 * you entered is incorrect.`). A kind left out is answered with the validator's bare text.
 */
export interface FieldErrors {
  /** The field is absent. */
  readonly missing?: CatalogEntry;
  /** The field is an array with more items than allowed. */
  readonly tooMany?: CatalogEntry;
  /** Any other failure of the field or of anything inside it (type, value, length, items). */
  readonly invalid?: CatalogEntry;
}

/**
 * How a packet's schema failures are reported (protocol.md §1.5). SAMA answers most schema
 * failures with the validator's text (`"cid" is required`), but many fields have a catalogued
 * error instead (`'cid' field is required.`). `fields` maps a top-level field name to that
 * error — one entry for every kind of failure, or a FieldErrors by kind; `any` replaces every
 * schema failure (e.g. `block_user` answers all of them with 400).
 */
export interface ErrorMapping {
  readonly fields?: Readonly<Record<string, FieldMapping>>;
  readonly any?: CatalogEntry;
  /**
   * The catalogued error of a failure no `fields` entry answers (an unknown field, a body that is
   * not an object); without it such failures get the validator's bare text, as SAMA sends.
   * Parley's own packets set it, so that every bad request gets a status (protocol-extensions.md).
   */
  readonly otherwise?: CatalogEntry;
  /**
   * Fields the schema marks optional that are required when a condition on the rest of the
   * input holds (SAMA's `name` of groups and channels). An absent one is a `missing` failure of
   * that field, ranked with the schema's failures.
   */
  readonly requiredWhen?: Readonly<Record<string, (input: Readonly<Record<string, unknown>>) => boolean>>;
}

/**
 * A field's catalogued error: the same for every failure, by kind, or depending on the rest of
 * the input (undefined: the validator's bare text).
 */
export type FieldMapping = CatalogEntry | FieldErrors | ((input: Readonly<Record<string, unknown>>) => CatalogEntry | FieldErrors | undefined);

/** One schema failure: where it is, and the validator's report (none for a `requiredWhen` field). */
interface Failure {
  readonly segments: readonly string[];
  readonly err: ValueError | undefined;
}

/** A compiled schema: a fast boolean check, and a SAMA-shaped error for the first failure. */
export interface Validator<S extends TSchema> {
  readonly schema: S;
  /** Returns the input typed, or throws the SamaError the protocol prescribes. */
  parse(value: unknown): Static<S>;
}

/** Compiles `schema` once; `parse` costs one generated check on the hot path. */
export function compile<S extends TSchema>(schema: S, mapping: ErrorMapping = {}): Validator<S> {
  const check: TypeCheck<S> = TypeCompiler.Compile(schema);
  const order = fieldOrder(schema);
  const conditions = Object.entries(mapping.requiredWhen ?? {});
  return {
    schema,
    parse(value: unknown): Static<S> {
      const missing = conditions.length > 0 ? conditionallyMissing(conditions, value, order) : undefined;
      if (missing === undefined && check.Check(value)) return value;
      throw toSamaError(firstFailure(check, value, order, missing), mapping, value);
    },
  };
}

/** The first field (in declaration order) that a `requiredWhen` condition requires and that is absent. */
function conditionallyMissing(conditions: readonly (readonly [string, (input: Readonly<Record<string, unknown>>) => boolean])[], value: unknown, order: ReadonlyMap<string, number>): Failure | undefined {
  if (!isPlainObject(value)) return undefined;
  let best: string | undefined;
  for (const [field, when] of conditions) {
    if (value[field] !== undefined || !when(value)) continue;
    if (best === undefined || (order.get(field) ?? Infinity) < (order.get(best) ?? Infinity)) best = field;
  }
  return best === undefined ? undefined : { segments: [best], err: undefined };
}

/** The declared top-level properties of an object schema, in declaration order. */
function fieldOrder(schema: TSchema): ReadonlyMap<string, number> {
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  return new Map(Object.keys(props ?? {}).map((k, i) => [k, i]));
}

const MAX_RANKED_FAILURES = 256;

/**
 * The failure SAMA's validator would report first: it checks the declared fields in
 * declaration order, then undeclared keys. TypeBox lists missing fields and undeclared keys
 * before the others, so the failures are re-ranked by their top-level field.
 */
function firstFailure(check: TypeCheck<TSchema>, value: unknown, order: ReadonlyMap<string, number>, missing: Failure | undefined): Failure | undefined {
  // The value itself (not an object, …) comes first; undeclared keys after every field.
  const rank = (f: Failure): number => (f.segments[0] === undefined ? -1 : (order.get(f.segments[0]) ?? order.size));
  let best = missing;
  let bestRank = best ? rank(best) : Infinity;
  let seen = 0;
  for (const err of check.Errors(value)) {
    // A hostile frame can hold a million bad items; ranking the first few hundred failures is
    // enough to find the field SAMA reports, and bounds the work one bad packet costs.
    if (++seen > MAX_RANKED_FAILURES) break;
    const failure = { segments: pathSegments(err), err };
    const r = rank(failure);
    if (r < bestRank) {
      best = failure;
      bestRank = r;
      if (r === -1) break;
    }
  }
  return best;
}

function pathSegments(err: ValueError): string[] {
  return err.path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isCatalogEntry(v: CatalogEntry | FieldErrors): v is CatalogEntry {
  return 'status' in v;
}

/** The kind of failure, for a field mapped by kind. */
function failureKind({ err, segments }: Failure): keyof FieldErrors {
  if (segments.length !== 1) return 'invalid';
  if (err === undefined || err.type === ValueErrorType.ObjectRequiredProperty) return 'missing';
  return err.type === ValueErrorType.ArrayMaxItems ? 'tooMany' : 'invalid';
}

function toSamaError(failure: Failure | undefined, mapping: ErrorMapping, value: unknown): SamaError {
  if (mapping.any) return samaError(mapping.any);
  if (!failure) return mapping.otherwise ? samaError(mapping.otherwise) : bareError('"value" is invalid');
  const top = failure.segments[0];
  // Own keys only: a field named "toString" or "__proto__" must not find Object.prototype's.
  const field = top !== undefined && mapping.fields !== undefined && Object.hasOwn(mapping.fields, top) ? mapping.fields[top] : undefined;
  const mapped = typeof field === 'function' ? field(isPlainObject(value) ? value : {}) : field;
  if (mapped) {
    const entry = isCatalogEntry(mapped) ? mapped : mapped[failureKind(failure)];
    if (entry) return samaError(entry);
  }
  if (mapping.otherwise) return samaError(mapping.otherwise);
  const q = `"${label(failure.segments)}"`;
  return bareError(failure.err ? describe(failure.err, q) : `${q} is required`);
}

/** A path as SAMA's validator labels it: dotted keys, array positions in brackets (`ids[0]`). */
function label(segments: readonly string[]): string {
  if (segments.length === 0) return 'value';
  return segments.reduce((acc, s, i) => (/^\d+$/.test(s) ? `${acc}[${s}]` : i === 0 ? s : `${acc}.${s}`), '');
}

/** The allowed values of a union of literals (`["u", "g", "c"]`), or undefined for other unions. */
function literalValues(schema: Record<string, unknown>): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  const anyOf = schema.anyOf;
  if (!Array.isArray(anyOf)) return undefined;
  const values = (anyOf as Record<string, unknown>[]).map((s) => ('const' in s ? s.const : undefined));
  return values.every((v) => v !== undefined) ? values : undefined;
}

/** The JSON type names a union accepts (`[number, string]`), in SAMA's validator's wording. */
function unionTypes(schema: Record<string, unknown>): string | undefined {
  const anyOf = schema.anyOf;
  if (!Array.isArray(anyOf)) return undefined;
  const types = (anyOf as Record<string, unknown>[]).map((s) => s.type);
  if (!types.every((t) => typeof t === 'string')) return undefined;
  return `[${types.map((t) => (t === 'integer' ? 'number' : t)).sort().join(', ')}]`;
}

/** Renders a failure in the validator wording SAMA clients see: `"<path>" <rule>` (protocol.md §1.5). */
function describe(err: ValueError, q: string): string {
  const s = err.schema as Record<string, unknown>;
  switch (err.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${q} is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${q} is not allowed`;
    case ValueErrorType.String:
      return `${q} must be a string`;
    case ValueErrorType.Number:
      return `${q} must be a number`;
    case ValueErrorType.Integer:
      return typeof err.value === 'number' ? `${q} must be an integer` : `${q} must be a number`;
    case ValueErrorType.Boolean:
      return `${q} must be a boolean`;
    case ValueErrorType.Array:
      return `${q} must be an array`;
    case ValueErrorType.Object:
      return `${q} must be of type object`;
    case ValueErrorType.StringMinLength:
      // SAMA's validator refuses an empty string before it looks at the length.
      return err.value === '' ? `${q} is not allowed to be empty` : `${q} length must be at least ${String(s.minLength)} characters long`;
    case ValueErrorType.StringMaxLength:
      return `${q} length must be less than or equal to ${String(s.maxLength)} characters long`;
    case ValueErrorType.StringPattern:
      return `${q} with value "${String(err.value)}" fails to match the required pattern`;
    case ValueErrorType.ArrayMinItems:
      return `${q} must contain at least ${String(s.minItems)} items`;
    case ValueErrorType.ArrayMaxItems:
      return `${q} must contain less than or equal to ${String(s.maxItems)} items`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `${q} must be greater than or equal to ${String(s.minimum)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `${q} must be less than or equal to ${String(s.maximum)}`;
    case ValueErrorType.Literal:
    case ValueErrorType.Union: {
      const values = literalValues(s);
      if (values) return `${q} must be ${values.length === 1 ? '' : 'one of '}[${values.map(String).join(', ')}]`;
      const types = unionTypes(s);
      return types ? `${q} must be one of ${types}` : `${q} does not match any of the allowed types`;
    }
    default:
      return `${q} is invalid`;
  }
}
