import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { Errors, SamaError } from './errors.js';
import { compile } from './validation.js';

function failure(fn: () => unknown): SamaError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SamaError, `threw ${String(err)}`);
    return err;
  }
  assert.fail('did not throw');
}

describe('schema failures become SAMA errors', () => {
  const v = compile(Type.Object({ cid: Type.String() }, { additionalProperties: false }), { fields: { cid: Errors.cidRequired } });

  it('maps a field with a catalogued error to that error', () => {
    assert.deepEqual(failure(() => v.parse({})).toWire(), { status: 422, message: Errors.cidRequired.message });
  });

  // Found by the fuzz test: an extra field named like an Object.prototype member found the
  // inherited function in the field map and was answered with an empty error.
  for (const key of ['toString', 'hasOwnProperty', 'valueOf', 'constructor', '__proto__']) {
    it(`answers an extra field named ${key} with the validator text`, () => {
      const body = JSON.parse(`{"cid":"c1","${key}":1}`) as unknown;
      assert.equal(failure(() => v.parse(body)).toWire(), `"${key}" is not allowed`);
    });
  }
});
