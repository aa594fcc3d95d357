import type { IIngressSpec } from 'kubernetes-models/networking.k8s.io/v1/IngressSpec';
import type { KObject } from '../../api/types.js';

// Which Ingresses this controller serves, as ingress-nginx decides it: the legacy
// `kubernetes.io/ingress.class` annotation first, then spec.ingressClassName naming an
// IngressClass of our controller, then (no class at all) when one of our IngressClasses is
// marked default, the class the API's DefaultIngressClass admission would have filled in.

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export interface ClassIdentity {
  /** --ingress-class (default "nginx"). */
  ingressClass: string;
  /** --controller-class (default "k8s.io/ingress-nginx"). */
  controllerClass: string;
}

interface IngressClassLike extends KObject {
  spec?: { controller?: string };
}

export class ClassFilter {
  private readonly ours = new Set<string>();
  private readonly known = new Set<string>();
  private readonly defaultIsOurs: boolean;

  constructor(
    private readonly id: ClassIdentity,
    ingressClasses: KObject[],
  ) {
    let defaultIsOurs = false;
    for (const c of ingressClasses as IngressClassLike[]) {
      const name = c.metadata.name ?? '';
      this.known.add(name);
      if (c.spec?.controller !== id.controllerClass) continue;
      this.ours.add(name);
      if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') defaultIsOurs = true;
    }
    this.defaultIsOurs = defaultIsOurs;
  }

  serves(ing: KObject): boolean {
    const legacy = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (legacy !== undefined && legacy !== '') return legacy === this.id.ingressClass;
    const className = (ing.spec as IIngressSpec | undefined)?.ingressClassName;
    if (className) {
      if (this.ours.has(className)) return true;
      // Before the IngressClass object exists (the add-on creates both at once) the class is
      // recognised by the name we were started with.
      return !this.known.has(className) && className === this.id.ingressClass;
    }
    return this.defaultIsOurs;
  }
}
