import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KINDS, kindKey } from '../../../../src/api/kinds.js';
import { groupVersionOf, type KObject } from '../../../../src/api/types.js';
import { converters } from '../../../../src/api/conversion/index.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

const SCENARIOS = '/work/shared/scenarios';

/** What the apiserver does to a manifest on create: storage version, namespace, defaults, validation. */
function admit(doc: KObject): string[] {
  const { group, version } = groupVersionOf(doc.apiVersion!);
  const def = KINDS.find((d) => d.group === group && d.kind === doc.kind);
  assert.ok(def, `no served kind for ${doc.apiVersion} ${doc.kind}`);
  assert.ok(def.versions.includes(version), `${doc.kind} is not served in ${version}`);
  const key = kindKey(group, def.kind);
  let obj = doc;
  if (version !== def.storageVersion) obj = converters[key](obj, def.storageVersion);
  if (def.namespaced) obj.metadata.namespace ??= 'default';
  defaulters[key]?.(obj);
  return validators[key](obj).map(formatFieldError);
}

test('every scenario manifest validates, except ingress-invalid.yaml', () => {
  const results = new Map<string, string[]>();
  for (const dir of readdirSync(SCENARIOS, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(SCENARIOS, dir.name)).filter((f) => f.endsWith('.yaml'))) {
      const docs = parseAllDocuments(readFileSync(join(SCENARIOS, dir.name, file), 'utf8')).map((d) => d.toJSON()).filter(Boolean);
      docs.forEach((doc: KObject, i: number) => results.set(`${dir.name}/${file}#${i} ${doc.kind} ${doc.metadata?.name}`, admit(doc)));
    }
  }
  assert.ok(results.size >= 20, `expected the scenario manifests, found ${results.size}`);
  for (const [name, errs] of results) {
    if (name.includes('ingress-invalid.yaml')) {
      assert.deepEqual(errs, ['spec.rules[0].http.paths[0].path: Invalid value: "^/api/.*": must be an absolute path'], name);
    } else {
      assert.deepEqual(errs, [], name);
    }
  }
});
