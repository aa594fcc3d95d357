import { KINDS, kindKey } from './kinds.js';
import { printers } from './printers/index.js';
import { validators } from './validation/index.js';
import { defaulters } from './defaults/index.js';
import { converters } from './conversion/index.js';
import { strategies } from './strategy/index.js';
import { admitters, validatingWebhooks } from './admission/index.js';
import type { ResourceDef } from './types.js';

export { kindKey };

/** Resolves resources by URL parts and by kind, with behaviour attached. */
export class Registry {
  readonly all: ResourceDef[];
  private byPlural = new Map<string, ResourceDef>();
  private byKind = new Map<string, ResourceDef>();

  constructor(defs: ResourceDef[] = KINDS) {
    this.all = defs.map((d) => {
      const key = kindKey(d.group, d.kind);
      return {
        ...d,
        printer: d.printer ?? printers[key],
        validate: d.validate ?? validators[key],
        defaults: d.defaults ?? defaulters[key],
        convert: d.convert ?? converters[key],
        strategy: d.strategy ?? strategies[key],
        admit: d.admit ?? admitters[key],
        validatingWebhook: d.validatingWebhook ?? validatingWebhooks[key],
      };
    });
    for (const d of this.all) {
      this.byPlural.set(`${d.group}/${d.plural}`, d);
      this.byKind.set(kindKey(d.group, d.kind), d);
    }
  }

  /** The resource at /apis/{group}/{version}/{plural}, or undefined if that version is not served. */
  resource(group: string, version: string, plural: string): ResourceDef | undefined {
    const d = this.byPlural.get(`${group}/${plural}`);
    return d && d.versions.includes(version) ? d : undefined;
  }

  kind(group: string, kind: string): ResourceDef | undefined {
    return this.byKind.get(kindKey(group, kind));
  }

  /** Groups in the order discovery lists them (core first, then by first appearance). */
  groups(): { group: string; versions: string[]; resources: ResourceDef[] }[] {
    const out = new Map<string, { group: string; versions: string[]; resources: ResourceDef[] }>();
    for (const d of this.all) {
      let g = out.get(d.group);
      if (!g) out.set(d.group, (g = { group: d.group, versions: [], resources: [] }));
      for (const v of d.versions) if (!g.versions.includes(v)) g.versions.push(v);
      g.resources.push(d);
    }
    return [...out.values()];
  }
}
