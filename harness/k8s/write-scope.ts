import type { ObjectRef } from './resources.ts';
import { describeRef } from './resources.ts';

/** Verbs that change the cluster. */
export type WriteVerb = 'apply' | 'create' | 'patch' | 'delete';

/** A shared object outside the run's namespaces that the run may edit (merged and restored by its owner code). */
export interface SharedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  why: string;
  /** The cluster-wide change it belongs to: the run may write it only when the user allowed that name. */
  change: string;
}

/** The harness tried to write where a run must not: a harness bug, never something to retry. */
export class WriteOutsideScopeError extends Error {
  override readonly name = 'WriteOutsideScopeError';
}

/**
 * Where a run may write: the namespaces it created (adopted when the create of a `<prefix>…` namespace returns),
 * a few named shared objects, and SelfSubjectAccessReviews (evaluated, never stored). Everything else is refused
 * before the request is sent, so no code path (today's or a future check's) can touch other people's objects.
 */
export class WriteScope {
  private readonly own = new Set<string>();

  constructor(private readonly namespacePrefix: string, private readonly shared: readonly SharedObject[] = []) {}

  /** The namespaces this run created. */
  get namespaces(): readonly string[] {
    return [...this.own];
  }

  /** Records a namespace the run just created. */
  adopt(namespace: string): void {
    this.own.add(namespace);
  }

  /** Throws `WriteOutsideScopeError` unless the run may `verb` the object; `generateName` covers namespace creation. */
  check(verb: WriteVerb, ref: ObjectRef, generateName?: string): void {
    if (ref.kind === 'SelfSubjectAccessReview' && verb === 'create') return;
    if (ref.kind === 'Namespace' && ref.apiVersion === 'v1') {
      if (verb === 'create' && !ref.name && generateName?.startsWith(this.namespacePrefix)) return;
      if (this.own.has(ref.name)) return;
    } else if (ref.namespace && this.own.has(ref.namespace)) {
      return;
    }
    if (this.shared.some((s) => s.kind === ref.kind && s.apiVersion === ref.apiVersion && s.name === ref.name && (s.namespace ?? '') === (ref.namespace ?? ''))) return;
    const where = ref.kind === 'Namespace' ? 'a namespace this run did not create' : ref.namespace ? `namespace ${ref.namespace}, which this run did not create` : 'a cluster-scoped object';
    throw new WriteOutsideScopeError(`refused to ${verb} ${describeRef(ref)}: ${where} (a run writes only into its own namespaces${this.own.size ? `: ${[...this.own].join(', ')}` : ''}${this.shared.length ? ` and ${this.shared.map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`).join(', ')}` : ''})`);
  }
}
