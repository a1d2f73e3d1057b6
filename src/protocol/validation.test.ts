import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { SamaError, type CatalogEntry } from './errors.js';
import { compile, type ErrorMapping } from './validation.js';

const A: CatalogEntry = { status: 422, message: 'A.' };
const B: CatalogEntry = { status: 422, message: 'B.' };
const C: CatalogEntry = { status: 422, message: 'C.' };

const schema = Type.Object(
  {
    kind: Type.Union([Type.Literal('x'), Type.Literal('y')]),
    title: Type.Optional(Type.String({ minLength: 2, maxLength: 5 })),
    list: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 2 })),
    nested: Type.Optional(Type.Object({ inner: Type.Array(Type.Number()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** The wire error `value` gets under `mapping`. */
function wire(mapping: ErrorMapping, value: unknown): unknown {
  try {
    compile(schema, mapping).parse(value);
  } catch (err) {
    assert.ok(err instanceof SamaError);
    return err.toWire();
  }
  return 'accepted';
}

it('tells missing, too many and other failures of a field apart', () => {
  const m: ErrorMapping = { fields: { kind: { missing: A, invalid: B }, list: { tooMany: C } } };
  assert.deepEqual(wire(m, {}), A);
  assert.deepEqual(wire(m, { kind: 'z' }), B);
  assert.deepEqual(wire(m, { kind: 5 }), B);
  assert.deepEqual(wire(m, { kind: 'x', list: ['a', 'b', 'c'] }), C);
  // a kind left out is the validator's text
  assert.equal(wire(m, { kind: 'x', list: [] }), '"list" must contain at least 1 items');
  assert.equal(wire(m, { kind: 'x', list: [1] }), '"list[0]" must be a string');
});

it('reports the first failing field in declaration order, undeclared keys last', () => {
  // TypeBox lists the missing `kind` and the undeclared key first; the declared order wins
  assert.deepEqual(wire({ fields: { title: A } }, { bogus: 1, title: 'x' }), '"kind" is required');
  assert.deepEqual(wire({ fields: { title: A } }, { kind: 'x', bogus: 1, title: 'x' }), A);
  assert.equal(wire({}, { kind: 'x', bogus: 1 }), '"bogus" is not allowed');
  assert.equal(wire({}, 'text'), '"value" must be of type object');
});

it('requires a field when a condition on the input holds, in the field\'s place in the order', () => {
  const m: ErrorMapping = { fields: { title: (input) => (input.kind === 'y' ? A : undefined) }, requiredWhen: { title: (input) => input.kind === 'y' } };
  assert.equal(wire(m, { kind: 'x' }), 'accepted');
  assert.deepEqual(wire(m, { kind: 'y' }), A);
  assert.deepEqual(wire(m, { kind: 'y', list: 'no' }), A);
  assert.deepEqual(wire(m, { kind: 'y', title: 5 }), A);
  // the mapping depends on the input: for kind x a bad title is the validator's text
  assert.equal(wire(m, { kind: 'x', title: 5 }), '"title" must be a string');
  assert.equal(wire({ requiredWhen: m.requiredWhen }, { kind: 'y' }), '"title" is required');
});

it('words failures as SAMA\'s validator does (protocol.md §1.5)', () => {
  assert.equal(wire({}, { kind: 'z' }), '"kind" must be one of [x, y]');
  assert.equal(wire({}, { kind: 'x', title: '' }), '"title" is not allowed to be empty');
  assert.equal(wire({}, { kind: 'x', title: 'a' }), '"title" length must be at least 2 characters long');
  assert.equal(wire({}, { kind: 'x', title: 'abcdef' }), '"title" length must be less than or equal to 5 characters long');
  assert.equal(wire({}, { kind: 'x', nested: { inner: ['1'] } }), '"nested.inner[0]" must be a number');
  assert.equal(wire({}, { kind: 'x', nested: { other: 1, inner: [] } }), '"nested.other" is not allowed');
  assert.deepEqual(wire({ any: A }, { kind: 'x', bogus: 1 }), A);
});
