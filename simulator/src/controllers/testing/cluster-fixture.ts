/**
 * Test helpers for controller and mesh unit tests: a real in-memory store with the builtin kinds,
 * an event-driven wait with a descriptive timeout, and a stand-in for the kubelet that marks pods
 * Running and Ready with an IP (the node part is tested separately).
 */
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { createStore } from '../../cluster/store.ts';
import { typeFor } from '../resource-lookup.ts';
import { nowTimestamp } from '../kube-objects.ts';

/** A fresh store serving the builtin kinds, with the given namespaces created. */
export async function storeWithNamespaces(...names: string[]): Promise<ObjectStore> {
  const store = createStore();
  for (const name of names) {
    await store.create(typeFor(store, 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return store;
}

/**
 * Resolves with the predicate's first non-undefined result, re-checked on every store change.
 * Rejects after `timeoutMs` with the description and what `describe` reports at that moment.
 */
export function waitForStore<T>(store: ObjectStore, description: string, predicate: () => T | undefined, opts: { timeoutMs?: number; describe?: () => string } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      fn();
    };
    const check = () => {
      let value: T | undefined;
      try {
        value = predicate();
      } catch (error) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      if (value !== undefined) finish(() => resolve(value));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`Timed out after ${timeoutMs}ms waiting for ${description}; last seen: ${opts.describe?.() ?? 'n/a'}`))), timeoutMs);
    const unsubscribe = store.onChange(() => queueMicrotask(check));
    check();
  });
}

/** What the kubelet would report for a started pod: Running, an IP, all containers ready. */
export async function markPodRunning(store: ObjectStore, pod: KubeObject, ip: string, ready = true): Promise<KubeObject> {
  const now = nowTimestamp();
  return store.mutate(typeFor(store, 'Pod'), pod.metadata.namespace, pod.metadata.name ?? '', (p) => {
    p['status'] = {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '127.0.0.1',
      startTime: now,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    };
  }, { subresource: 'status' });
}

/** A plain pod manifest with one container. */
export function podManifest(name: string, namespace: string, labels: Record<string, string>, extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'kennethreitz/httpbin', ports: [{ containerPort: 14001 }] }], ...(extra.spec ?? {}) },
  };
}
