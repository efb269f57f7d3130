/**
 * Small typed accessors over the untyped KubeObject the store holds. The controllers read a handful of
 * fields from pods, services and workloads; keeping those reads here keeps the reconcilers readable.
 */
import type { KubeObject, OwnerReference } from '../cluster/types.ts';

export type Json = Record<string, unknown>;

/** A field as a plain object (or an empty one), for reading nested specs without casts everywhere. */
export function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

export function arr(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function spec(o: KubeObject): Json {
  return obj(o['spec']);
}

export function status(o: KubeObject): Json {
  return obj(o['status']);
}

/** `namespace/name` key used by the work queues. */
export function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  const ns = key.slice(0, i);
  return { namespace: ns === '' ? undefined : ns, name: key.slice(i + 1) };
}

export function isTerminating(o: KubeObject): boolean {
  return typeof o.metadata.deletionTimestamp === 'string' && o.metadata.deletionTimestamp !== '';
}

/** The controlling owner reference, if any (what `kubectl get -o yaml` shows with controller: true). */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export function isOwnedBy(o: KubeObject, owner: KubeObject): boolean {
  return (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid && ref.controller === true);
}

/** The owner reference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The pod's Ready condition, as kubelet reports it. */
export function isPodReady(pod: KubeObject): boolean {
  return arr(status(pod)['conditions']).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

export function podPhase(pod: KubeObject): string {
  return str(status(pod)['phase']) ?? 'Pending';
}

export function podIP(pod: KubeObject): string | undefined {
  const ip = str(status(pod)['podIP']);
  return ip === '' ? undefined : ip;
}

/** Characters Kubernetes uses in generated name suffixes (no vowels, no confusable digits). */
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix as `generateName` produces: `httpbin-7c9f8d6b5-x2k4q` has the 5-character one. */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphanums[Math.floor(Math.random() * alphanums.length)];
  return out;
}

/** Kubernetes' SafeEncodeString: maps every character of a string onto the alphabet above. */
export function safeEncode(value: string): string {
  let out = '';
  for (const ch of value) out += alphanums[ch.charCodeAt(0) % alphanums.length];
  return out;
}

/** FNV-1a 32-bit, the hash the deployment controller uses for pod-template-hash. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** JSON with sorted keys, so that equal objects hash and compare equal. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Json).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Kubernetes timestamps are RFC 3339 with second precision. */
export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
