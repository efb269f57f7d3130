/**
 * A Pod's QoS class as kube-apiserver computes it when the pod is created (pkg/apis/core/helper/qos ComputePodQOS),
 * and keeps: `status.qosClass` is immutable on a status update (ValidatePodStatusUpdate, "field is immutable"), so a
 * kubelet that reports another class has its whole status write refused. Only cpu and memory count; requests left
 * out default to the limits (the defaulting that runs before the computation); pod-level `spec.resources`, where
 * set, replaces the containers' (PodLevelResources, on by default since 1.34).
 */
type Obj = Record<string, unknown>;

const qosResources = ['cpu', 'memory'] as const;
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** The value of a resource.Quantity (`500m`, `64Mi`, `1e3`, `2`); NaN when it is not one. */
export function quantityValue(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return Number.NaN;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (binarySuffixes[suffix] ?? decimalSuffixes[suffix] ?? Number.NaN);
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? (v as Obj[]) : [];
}

/** The cpu/memory requests and limits of one container (or of the pod), requests defaulted to the limits. */
function effective(resources: unknown): { requests: Map<string, number>; limits: Map<string, number> } {
  const r = (resources ?? {}) as { requests?: Obj; limits?: Obj };
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  for (const name of qosResources) {
    const limit = quantityValue(r.limits?.[name]);
    const request = r.requests?.[name] !== undefined ? quantityValue(r.requests[name]) : limit;
    if (limit > 0) limits.set(name, limit);
    if (request > 0) requests.set(name, request);
  }
  return { requests, limits };
}

/** `Guaranteed`, `Burstable` or `BestEffort` for a pod spec. */
export function podQosClass(spec: unknown): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const s = (spec ?? {}) as Obj;
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const podLevel = s.resources as Obj | undefined;
  const units = podLevel && (podLevel.requests || podLevel.limits) ? [podLevel] : [...list(s.initContainers), ...list(s.containers)].map((c) => c.resources);
  for (const resources of units) {
    const e = effective(resources);
    for (const [name, v] of e.requests) requests.set(name, (requests.get(name) ?? 0) + v);
    for (const [name, v] of e.limits) limits.set(name, (limits.get(name) ?? 0) + v);
    if (!qosResources.every((name) => e.limits.has(name))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed && requests.size === limits.size && [...requests].every(([name, v]) => limits.get(name) === v)) return 'Guaranteed';
  return 'Burstable';
}
