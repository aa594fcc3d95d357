import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, goFloat } from '../../../../src/images/servers/go-format.js';

test("goFloat prints as fmt's %g: shortest, %e past 1e6 or below 1e-4", () => {
  assert.equal(goFloat(0), '0');
  assert.equal(goFloat(0.0045), '0.0045');
  assert.equal(goFloat(334.16), '334.16');
  assert.equal(goFloat(99.9), '99.9');
  assert.equal(goFloat(100000), '100000');
  assert.equal(goFloat(1000000), '1e+06');
  assert.equal(goFloat(1234567.5), '1.2345675e+06');
  assert.equal(goFloat(0.00005), '5e-05');
  assert.equal(goFloat(-1), '-1');
  assert.equal(goFloat(Infinity), '+Inf');
});

test('goFloat with a precision rounds to that many significant digits, trailing zeros dropped', () => {
  assert.equal(goFloat(0.00568691234, 8), '0.0056869123');
  assert.equal(goFloat(0.003869456, 4), '0.003869');
  assert.equal(goFloat(190.7345, 5), '190.73');
  assert.equal(goFloat(0.0144329, 6), '0.0144329');
  assert.equal(goFloat(0.000722778, 6), '0.000722778');
  assert.equal(goFloat(0.0035, 6), '0.0035');
  assert.equal(goFloat(1e6, 6), '1e+06');
  assert.equal(goFloat(123456789, 9), '123456789');
  assert.equal(goFloat(0.45255419912, 9), '0.452554199');
  assert.equal(goFloat(2, 8), '2');
});

test('goDuration prints as time.Duration.String', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(850), '850ns');
  assert.equal(goDuration(12_500), '12.5µs');
  assert.equal(goDuration(59_852_400), '59.8524ms');
  assert.equal(goDuration(1_500_000_000), '1.5s');
  assert.equal(goDuration(5e9), '5s');
  assert.equal(goDuration(120e9), '2m0s');
  assert.equal(goDuration(3600.5e9), '1h0m0.5s');
  assert.equal(goDuration(-1e9), '-1s');
});
