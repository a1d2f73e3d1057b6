import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { SamaError, bareError, samaError, type CatalogEntry } from './errors.js';

/**
 * How a packet's schema failures are reported. SAMA answers most schema failures with the
 * validator's text (`"cid" is required`), but many fields have a catalogued error instead
 * (`'cid' field is required.`). `fields` maps a top-level field name to that error; `any`
 * replaces every schema failure (e.g. `block_user` answers all of them with 400).
 */
export interface ErrorMapping {
  readonly fields?: Readonly<Record<string, CatalogEntry>>;
  readonly any?: CatalogEntry;
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
  return {
    schema,
    parse(value: unknown): Static<S> {
      if (check.Check(value)) return value;
      const first = check.Errors(value).First();
      throw toSamaError(first, mapping);
    },
  };
}

function toSamaError(err: ValueError | undefined, mapping: ErrorMapping): SamaError {
  if (mapping.any) return samaError(mapping.any);
  if (!err) return bareError('"value" is invalid');
  const segments = err.path.split('/').filter((s) => s.length > 0);
  const top = segments[0];
  // Own keys only: a field named "toString" or "__proto__" must not find Object.prototype's.
  const mapped = top !== undefined && mapping.fields !== undefined && Object.hasOwn(mapping.fields, top) ? mapping.fields[top] : undefined;
  if (mapped !== undefined) return samaError(mapped);
  return bareError(describe(err, segments));
}

/** Renders a failure in the validator wording SAMA clients see: `"<dotted path>" <rule>`. */
function describe(err: ValueError, segments: string[]): string {
  const path = segments.length === 0 ? 'value' : segments.join('.');
  const q = `"${path}"`;
  const s = err.schema as Record<string, unknown>;
  switch (err.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${q} is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${q} is not allowed`;
    case ValueErrorType.String:
      return `${q} must be a string`;
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
      return `${q} must be a number`;
    case ValueErrorType.Boolean:
      return `${q} must be a boolean`;
    case ValueErrorType.Array:
      return `${q} must be an array`;
    case ValueErrorType.Object:
      return `${q} must be of type object`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? `${q} is not allowed to be empty` : `${q} length must be at least ${String(s.minLength)} characters long`;
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
    case ValueErrorType.Union:
      return `${q} does not match any of the allowed types`;
    default:
      return `${q} is invalid`;
  }
}
