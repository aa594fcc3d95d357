import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  causeMessage, duplicate, forbidden, formatFieldError, goQuote, invalid, invalidMessage, notSupported, required, tooLong, tooMany,
} from '../../../../src/api/validation/field.js';
import { goMap } from '../../../../src/api/validation/labels.js';

test('field errors print as field.Error.Error()', () => {
  assert.equal(formatFieldError(invalid('spec.replicas', -1, 'must be greater than or equal to 0')), 'spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.equal(formatFieldError(invalid('spec.rules[0].http.paths[0].path', '^/api/.*', 'must be an absolute path')),
    'spec.rules[0].http.paths[0].path: Invalid value: "^/api/.*": must be an absolute path');
  assert.equal(formatFieldError(required('spec.selector', '')), 'spec.selector: Required value');
  assert.equal(formatFieldError(required('metadata.name', 'name or generateName is required')), 'metadata.name: Required value: name or generateName is required');
  assert.equal(formatFieldError(forbidden('spec.x', 'not allowed')), 'spec.x: Forbidden: not allowed');
  assert.equal(formatFieldError(duplicate('spec.containers[1].name', 'web')), 'spec.containers[1].name: Duplicate value: "web"');
  assert.equal(formatFieldError(notSupported('spec.type', 'Foo', ['ClusterIP', 'NodePort'])),
    'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "NodePort"');
  assert.equal(formatFieldError(tooLong('metadata.annotations', 262144)), 'metadata.annotations: Too long: must have at most 262144 bytes');
  assert.equal(formatFieldError(tooMany('endpoints', 1001, 1000)), 'endpoints: Too many: 1001: must have at most 1000 items');
  assert.equal(formatFieldError(invalid('spec.x', null, 'bad')), 'spec.x: Invalid value: null: bad');
  assert.equal(formatFieldError(invalid('spec.x', true, 'bad')), 'spec.x: Invalid value: true: bad');
  assert.equal(formatFieldError(invalid('spec.template.metadata.labels', goMap({ b: '2', app: 'x' }), '`selector` does not match template `labels`')),
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x", "b":"2"}: `selector` does not match template `labels`');
  assert.equal(causeMessage(invalid('spec.replicas', -1, 'must be greater than or equal to 0')), 'Invalid value: -1: must be greater than or equal to 0');
});

test('goQuote escapes like strconv.Quote', () => {
  assert.equal(goQuote('a"b\\c\n\x01'), '"a\\"b\\\\c\\n\\x01"');
  assert.equal(goQuote('héllo'), '"héllo"');
});

test('invalidMessage brackets several errors and deduplicates', () => {
  const a = invalid('spec.replicas', -1, 'must be greater than or equal to 0');
  const b = required('spec.selector', '');
  assert.equal(invalidMessage('Deployment', 'apps', 'bad', [a]), 'Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.equal(invalidMessage('Deployment', 'apps', 'bad', [a, b, a]),
    'Deployment.apps "bad" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]');
  assert.equal(invalidMessage('Service', '', 's', [b]), 'Service "s" is invalid: spec.selector: Required value');
});
