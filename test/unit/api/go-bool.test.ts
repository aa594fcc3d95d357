import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoBool } from '../../../src/api/go-bool.js';

test("Go's strconv.ParseBool: its six spellings of each value, nothing else", () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(v), true, v);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(v), false, v);
  for (const v of ['', 'yes', 'tRuE', ' true', '2']) assert.equal(parseGoBool(v), undefined, JSON.stringify(v));
});
