/**
 * Sends a behaviour matrix's ingress probes (behaviour.ts IngressProbe) from outside the cluster, to the entry point
 * that serves each host and path now: a Gateway API HTTPRoute accepted by its Gateway, routing the host to the
 * Service, wins (that is where a migration plan moves the ingress); else the Ingress the path came from, at its load
 * balancer address. The request carries the host in its Host header, as a client that resolved the host would.
 */
import type { KubernetesObject, V1Ingress } from '@kubernetes/client-node';
import { undici } from '../http/undici.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { errorText } from '../text.ts';
import type { IngressProbe, ProbeResult } from './behaviour.ts';
import { classify } from './behaviour.ts';
import { listIfServed } from './cluster-facts.ts';

const types = {
  httpRoute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  gateway: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' },
};
const requestTimeoutMs = 10_000;

interface HttpRoute extends KubernetesObject {
  spec?: { parentRefs?: { name: string; namespace?: string; sectionName?: string }[]; hostnames?: string[]; rules?: { backendRefs?: { name: string; namespace?: string }[] }[] };
  status?: { parents?: { parentRef: { name: string; namespace?: string }; conditions?: { type: string; status: string }[] }[] };
}
interface Gateway extends KubernetesObject {
  spec?: { listeners?: { name: string; port: number; protocol: string; hostname?: string }[] };
  status?: { addresses?: { value: string }[] };
}

/** Where a probe is sent: a URL base, and the object that makes it the entry point. */
export interface EntryPoint { base: string; via: string }

function hostMatches(pattern: string, host: string | undefined): boolean {
  if (!host) return true;
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : pattern === host;
}

/** The entry point for a probe now, or undefined (with why) when nothing routes it. */
export async function entryPointOf(client: KubeClient, probe: IngressProbe, budgetMs: number): Promise<EntryPoint | string> {
  const routes = await listIfServed<HttpRoute>(client, types.httpRoute, probe.namespace, budgetMs);
  for (const route of routes) {
    if (route.spec?.hostnames?.length && !route.spec.hostnames.some((h) => hostMatches(h, probe.host))) continue;
    if (!route.spec?.rules?.some((r) => r.backendRefs?.some((b) => b.name === probe.service && (b.namespace ?? probe.namespace) === probe.namespace))) continue;
    for (const parent of route.status?.parents ?? []) {
      if (!parent.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True')) continue;
      const ns = parent.parentRef.namespace ?? probe.namespace;
      const gw = await client.read<Gateway>({ ...types.gateway, namespace: ns, name: parent.parentRef.name }, { budgetMs });
      const address = gw?.status?.addresses?.[0]?.value;
      const listener = gw?.spec?.listeners?.find((l) => l.protocol === 'HTTP' && (!l.hostname || hostMatches(l.hostname, probe.host)));
      if (address && listener) return { base: `http://${address.includes(':') ? `[${address}]` : address}:${listener.port}`, via: `Gateway ${ns}/${parent.parentRef.name} (HTTPRoute ${probe.namespace}/${route.metadata?.name ?? ''})` };
    }
  }
  const ingress = await client.read<V1Ingress>({ ...resourceTypes.ingress, namespace: probe.namespace, name: probe.ingress }, { budgetMs });
  if (!ingress) return `neither an accepted HTTPRoute to ${probe.service} nor Ingress ${probe.namespace}/${probe.ingress}`;
  const lb = ingress.status?.loadBalancer?.ingress?.[0];
  const address = lb?.ip ?? lb?.hostname;
  if (!address) return `Ingress ${probe.namespace}/${probe.ingress} has no load balancer address yet`;
  return { base: `http://${address}`, via: `Ingress ${probe.namespace}/${probe.ingress}` };
}

/** Sends every ingress probe to its entry point now. */
export async function probeIngress(client: KubeClient, probes: readonly IngressProbe[], budgetMs: number): Promise<(IngressProbe & { result: ProbeResult & { via: string } })[]> {
  const out: (IngressProbe & { result: ProbeResult & { via: string } })[] = [];
  for (const probe of probes) {
    const entry = await entryPointOf(client, probe, budgetMs);
    if (typeof entry === 'string') {
      out.push({ ...probe, result: { outcome: 'error', status: 0, detail: `no entry point: ${entry}`, via: 'none' } });
      continue;
    }
    try {
      const res = await undici().request(`${entry.base}${probe.path}`, { headers: probe.host ? { host: probe.host } : {}, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
      out.push({ ...probe, result: { ...classify(res.statusCode, await res.body.text()), via: entry.via } });
    } catch (err) {
      out.push({ ...probe, result: { outcome: 'error', status: 0, detail: `no answer from ${entry.base}: ${errorText(err)}`, via: entry.via } });
    }
  }
  return out;
}
