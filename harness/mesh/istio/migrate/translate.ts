/**
 * A mesh inventory as Istio configuration (`mesh-conformance migrate plan`), following the mapping of the AKS
 * OSM-to-Istio migration guidance (osm.md §9, istio.md §4):
 * - namespace onboarding → the `istio.io/rev=<revision>` label (the AKS add-on ignores `istio-injection`); a
 *   namespace the source mesh watched without injection (an ingress controller's) is left out of the mesh;
 * - permissive / non-permissive mode → PeerAuthentication STRICT in every onboarded namespace (in-mesh traffic was
 *   mTLS-only before too) and, in non-permissive mode, an allow-nothing AuthorizationPolicy per namespace, so a
 *   workload nothing admits refuses everyone, as it did;
 * - an access rule (TrafficTarget + HTTPRouteGroup/TCPRoute) → an ALLOW AuthorizationPolicy selecting the pods of the
 *   destination ServiceAccount (by the labels of its workloads), one rule per route: principals
 *   `<trust domain>/ns/<ns>/sa/<sa>` of its sources, methods, paths and `when` header conditions (string-match.ts);
 *   a route whose pattern AuthorizationPolicy cannot express is left out (its requests are then refused) and listed;
 *   TCP routes → `ports`;
 * - a TrafficSplit → a VirtualService for the apex host with weighted destinations (percentages) and a
 *   DestinationRule whose subsets are the backends' selectors (a backend the apex Service does not select goes by its
 *   own host instead);
 * - an ingress admission (the source mesh's ingress policy) → an AuthorizationPolicy admitting the plan's ingress gateway's principal on
 *   the backend's target port, plus the Gateway API route: a Gateway (class istio) in its own namespace (an
 *   allow-nothing policy in an application namespace would also refuse a gateway deployed there, simulator/README.md)
 *   and one HTTPRoute per Ingress that fronts the backend, with its hosts and paths.
 * Whatever has no equivalent is listed with the reason.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AccessRule, IngressAdmission, MeshInventory, MigrationPlan, PlanFile, PlanOptions, ServiceFact, TranslationFault, UntranslatableItem, WorkloadFact } from '../../../migrate/model.ts';
import { describeSource } from '../../../migrate/model.ts';
import { istioKeys, principal } from '../keys.ts';
import { istioStringMatch } from './string-match.ts';

export const istioMigrationTypes = {
  authorizationPolicy: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' },
  peerAuthentication: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' },
  virtualService: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' },
  destinationRule: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' },
  gateway: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' },
  httpRoute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
} as const;

/** The plan's ingress gateway: a Gateway API Gateway; istiod deploys `<name>-istio` with that ServiceAccount (istio.md §3a). */
export const planGatewayName = 'mesh-ingress';
export const defaultGatewayNamespace = 'istio-ingress';

/** Named faults of the translation (the self-tests' hook; docs/migration.md). */
export const istioTranslationFaults = [
  { name: 'traffic-target-too-permissive', description: 'the first access rule\'s AuthorizationPolicy admits any mTLS principal (`principals: ["*"]`) instead of its sources' },
  { name: 'default-deny-missing', description: 'no allow-nothing AuthorizationPolicy: a workload no access rule names is open to every client again' },
  { name: 'ingress-not-admitted', description: 'the AuthorizationPolicies admitting the ingress gateway are left out: the ingress answers 403' },
] as const satisfies readonly TranslationFault[];

const labelsOf = (ns: string, plan: PlanOptions): Record<string, string> => (plan.revision ? { [istioKeys.rev]: plan.revision } : { [istioKeys.injection]: 'enabled' });

function obj(type: { apiVersion: string; kind: string }, namespace: string | undefined, name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubernetesObject {
  return { apiVersion: type.apiVersion, kind: type.kind, metadata: { name, ...(namespace ? { namespace } : {}), labels: { 'app.kubernetes.io/managed-by': 'mesh-conformance-migrate' } }, spec, ...extra } as KubernetesObject;
}

/** A DNS-1123 name from parts (lower case, dashes, at most 63 characters). */
function dnsName(...parts: string[]): string {
  return parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 63).replace(/-$/, '');
}

/** Labels that select exactly the pods of `workloads` among the namespace's workloads, as one selector; undefined when none does. */
function commonSelector(workloads: WorkloadFact[], all: WorkloadFact[]): Record<string, string> | undefined {
  const [first, ...rest] = workloads;
  if (!first) return undefined;
  const common = Object.fromEntries(Object.entries(first.podLabels).filter(([k, v]) => k !== 'pod-template-hash' && rest.every((w) => w.podLabels[k] === v)));
  if (Object.keys(common).length === 0) return undefined;
  const selected = all.filter((w) => Object.entries(common).every(([k, v]) => w.podLabels[k] === v));
  return selected.every((w) => workloads.includes(w)) ? common : undefined;
}

/** Selectors for the pods of a ServiceAccount: one common to its workloads when it exists, else one per workload. */
function selectorsFor(inv: MeshInventory, namespace: string, serviceAccount: string): { suffix: string; selector: Record<string, string> }[] {
  const inNamespace = inv.cluster.workloads.filter((w) => w.namespace === namespace);
  const mine = inNamespace.filter((w) => w.serviceAccount === serviceAccount);
  const common = commonSelector(mine, inNamespace);
  if (common) return [{ suffix: '', selector: common }];
  return mine.map((w) => ({ suffix: w.name, selector: Object.fromEntries(Object.entries(w.podLabels).filter(([k]) => k !== 'pod-template-hash')) }));
}

function service(inv: MeshInventory, namespace: string, name: string): ServiceFact | undefined {
  return inv.cluster.services.find((s) => s.namespace === namespace && s.name === name);
}

/** Integer percentages summing to 100, by largest remainder. */
export function percentages(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w * 100) / total);
  const floor = exact.map(Math.floor);
  let left = 100 - floor.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (const { i } of order) {
    if (left <= 0) break;
    floor[i]! += 1;
    left--;
  }
  return floor;
}

interface Translation {
  objects: KubernetesObject[];
  notes: string[];
}

function accessRulePolicies(inv: MeshInventory, rule: AccessRule, opts: PlanOptions, untranslatable: UntranslatableItem[], fault: boolean): Translation {
  const ref = describeSource(rule.ref);
  const trust = inv.settings.trustDomain;
  const principals = fault ? ['*'] : rule.sources.map((s) => principal(s.namespace, s.serviceAccount, trust).policy);
  const rules: Record<string, unknown>[] = [];
  for (const route of rule.http) {
    const path = istioStringMatch(route.pathRegex);
    const headers = Object.entries(route.headers).map(([name, pattern]) => ({ name, match: istioStringMatch(pattern) }));
    const bad = [...('untranslatable' in path ? [`path: ${path.untranslatable}`] : []), ...headers.flatMap((h) => ('untranslatable' in h.match ? [`header ${h.name}: ${h.match.untranslatable}`] : []))];
    if (bad.length) {
      untranslatable.push({ ref: `${ref} route ${route.name}`, reason: `${bad.join('; ')}. Left out: the requests it allowed are refused (403) after the migration; write the rule by hand if they must pass` });
      continue;
    }
    const operation: Record<string, unknown> = {};
    if (!route.methods.includes('*')) operation['methods'] = route.methods;
    if ('value' in path && path.value !== '*') operation['paths'] = [path.value];
    const host = headers.find((h) => h.name === 'host' || h.name === ':authority');
    if (host && 'value' in host.match && host.match.value !== '*') operation['hosts'] = [host.match.value];
    const when = headers.filter((h) => h !== host).map((h) => ({ key: `request.headers[${h.name}]`, values: ['value' in h.match ? h.match.value : '*'] }));
    rules.push({ from: [{ source: { principals } }], ...(Object.keys(operation).length ? { to: [{ operation }] } : {}), ...(when.length ? { when } : {}) });
  }
  if (rule.tcpPorts) rules.push({ from: [{ source: { principals } }], to: [{ operation: { ports: rule.tcpPorts.map(String) } }] });
  if (rules.length === 0) {
    return { objects: [], notes: [`${ref}: no route to translate; the allow-nothing policy keeps ServiceAccount ${rule.destination.serviceAccount} closed to its sources, as OSM answered them 404`] };
  }
  const selectors = selectorsFor(inv, rule.destination.namespace, rule.destination.serviceAccount);
  if (selectors.length === 0) {
    untranslatable.push({ ref, reason: `no workload runs as ServiceAccount ${rule.destination.namespace}/${rule.destination.serviceAccount}: an AuthorizationPolicy selects pods by label, and there are none to take the labels from. Write its selector by hand when the workload exists` });
    return { objects: [], notes: [] };
  }
  const objects = selectors.map((s) => obj(istioMigrationTypes.authorizationPolicy, rule.destination.namespace, dnsName(rule.ref.name, s.suffix), { selector: { matchLabels: s.selector }, action: 'ALLOW', rules }));
  return {
    objects,
    notes: [`${ref} → AuthorizationPolicy ${objects.map((o) => o.metadata?.name ?? '').join(', ')}: ${rule.sources.map((s) => `${s.namespace}/${s.serviceAccount}`).join(', ')} to ServiceAccount ${rule.destination.serviceAccount}${fault ? ' (TRANSLATION FAULT traffic-target-too-permissive: any principal)' : ''}`],
  };
}

function trafficSplitObjects(inv: MeshInventory, split: MeshInventory['trafficSplits'][number], untranslatable: UntranslatableItem[]): Translation {
  const ref = describeSource(split.ref);
  const apex = service(inv, split.namespace, split.apex);
  if (!apex) {
    untranslatable.push({ ref, reason: `its apex Service ${split.namespace}/${split.apex} does not exist: a VirtualService needs a host to route` });
    return { objects: [], notes: [] };
  }
  const weights = percentages(split.backends.map((b) => b.weight));
  if (weights.every((w) => w === 0)) {
    untranslatable.push({ ref, reason: 'every backend weight is 0: OSM sends nothing anywhere, which a VirtualService cannot say' });
    return { objects: [], notes: [] };
  }
  const subsets: { name: string; labels: Record<string, string> }[] = [];
  const route = split.backends.map((b, i) => {
    const backend = service(inv, split.namespace, b.service);
    const host = `${split.apex}.${split.namespace}.svc.cluster.local`;
    const coversApex = backend && Object.keys(backend.selector).length > 0 && Object.entries(apex.selector).every(([k, v]) => backend.selector[k] === v);
    if (backend && coversApex) {
      subsets.push({ name: b.service, labels: backend.selector });
      return { destination: { host, subset: b.service }, weight: weights[i] };
    }
    return { destination: { host: `${b.service}.${split.namespace}.svc.cluster.local` }, weight: weights[i] };
  });
  const objects = [obj(istioMigrationTypes.virtualService, split.namespace, split.ref.name, { hosts: [split.apex], http: [{ route }] })];
  if (subsets.length) objects.push(obj(istioMigrationTypes.destinationRule, split.namespace, split.apex, { host: split.apex, subsets }));
  return { objects, notes: [`${ref} → VirtualService ${split.ref.name}${subsets.length ? ` + DestinationRule ${split.apex}` : ''}: ${split.apex} → ${split.backends.map((b, i) => `${b.service} ${weights[i] ?? 0}%`).join(', ')}`] };
}

function ingressObjects(inv: MeshInventory, ib: IngressAdmission, gateway: { namespace: string; name: string }, untranslatable: UntranslatableItem[], skipPolicy: boolean): Translation {
  const ref = describeSource(ib.ref);
  const objects: KubernetesObject[] = [];
  const notes: string[] = [];
  const gatewayPrincipal = principal(gateway.namespace, `${gateway.name}-istio`, inv.settings.trustDomain).policy;
  for (const source of ib.sources) {
    if (source.kind === 'AuthenticatedPrincipal') untranslatable.push({ ref: `${ref} source AuthenticatedPrincipal ${'name' in source ? source.name : ''}`, reason: 'an ingress controller\'s mTLS client certificate (OSM\'s HTTPS ingress) has no place: the plan routes through the Istio ingress gateway, which presents its own identity' });
  }
  for (const backend of ib.backends) {
    if (backend.tls) untranslatable.push({ ref: `${ref} backend ${backend.service}:${backend.port}`, reason: 'an HTTPS backend (tls) is served over the gateway\'s mTLS instead; TLS between the ingress and OSM\'s sidecar has no equivalent' });
    const svc = service(inv, ib.namespace, backend.service);
    if (!svc) {
      untranslatable.push({ ref: `${ref} backend ${backend.service}`, reason: `Service ${ib.namespace}/${backend.service} does not exist: nothing to select or route to` });
      continue;
    }
    const port = svc.ports.find((p) => p.targetPort === backend.port) ?? svc.ports.find((p) => p.port === backend.port);
    if (!skipPolicy) {
      objects.push(obj(istioMigrationTypes.authorizationPolicy, ib.namespace, dnsName(ib.ref.name, 'ingress', backend.service), {
        selector: { matchLabels: svc.selector }, action: 'ALLOW',
        rules: [{ from: [{ source: { principals: [gatewayPrincipal] } }], to: [{ operation: { ports: [String(backend.port)] } }] }],
      }));
    }
    const routes = inv.cluster.ingressRoutes.filter((r) => r.namespace === ib.namespace && r.service === backend.service && (r.port === port?.port || r.port === port?.name));
    const byIngress = new Map<string, typeof routes>();
    for (const r of routes) byIngress.set(`${r.name}\u0000${r.host ?? ''}`, [...(byIngress.get(`${r.name}\u0000${r.host ?? ''}`) ?? []), r]);
    for (const [key, group] of byIngress) {
      const [ingressName = '', host = ''] = key.split('\u0000');
      const name = dnsName(ingressName, host ? host.split('.')[0] ?? '' : '', backend.service);
      objects.push(obj(istioMigrationTypes.httpRoute, ib.namespace, name, {
        parentRefs: [{ name: gateway.name, namespace: gateway.namespace }],
        ...(host ? { hostnames: [host] } : {}),
        rules: group.map((r) => ({
          matches: [{ path: { type: r.pathType === 'Exact' ? 'Exact' : 'PathPrefix', value: r.path || '/' } }],
          backendRefs: [{ name: backend.service, port: port?.port ?? backend.port }],
        })),
      }));
      notes.push(`Ingress ${ib.namespace}/${ingressName}${host ? ` (host ${host})` : ''} (class ${group[0]?.className ?? 'none'}) → HTTPRoute ${name} on Gateway ${gateway.namespace}/${gateway.name}; once clients use the Gateway's address, delete the Ingress: its controller's requests are refused by the policies of this plan`);
      if (group.some((r) => r.pathType === 'ImplementationSpecific')) notes.push(`Ingress ${ib.namespace}/${ingressName}: pathType ImplementationSpecific read as PathPrefix`);
    }
    if (routes.length === 0) notes.push(`${ref}: no Ingress routes to ${backend.service}: no HTTPRoute written (attach one to Gateway ${gateway.namespace}/${gateway.name})`);
  }
  notes.push(`${ref} → ${skipPolicy ? '(TRANSLATION FAULT ingress-not-admitted: no AuthorizationPolicy) ' : ''}AuthorizationPolicy admitting ${gatewayPrincipal} (the ingress gateway) instead of ${ib.sources.map((x) => ('cidr' in x ? `IPRange ${x.cidr}` : 'namespace' in x ? `Service ${x.namespace}/${x.name}` : `${x.kind} ${'name' in x ? x.name : ''}`)).join(', ')}`);
  return { objects, notes };
}

/** Translates an inventory into Istio manifests, one file per namespace. */
export function istioPlan(inv: MeshInventory, opts: PlanOptions): MigrationPlan {
  const fault = opts.translationFault;
  if (fault !== undefined && !istioTranslationFaults.some((f) => f.name === fault)) {
    throw new Error(`unknown translation fault "${fault}"; known: ${istioTranslationFaults.map((f) => f.name).join(', ')}`);
  }
  const untranslatable: UntranslatableItem[] = [...inv.unmodelled];
  const gateway = { namespace: opts.gatewayNamespace || defaultGatewayNamespace, name: planGatewayName };
  const files = new Map<string, PlanFile>();
  const file = (namespace: string): PlanFile => {
    let f = files.get(namespace);
    if (!f) files.set(namespace, (f = { namespace, objects: [], notes: [] }));
    return f;
  };
  const add = (namespace: string, t: Translation): void => {
    file(namespace).objects.push(...t.objects);
    file(namespace).notes.push(...t.notes);
  };
  const onboarded = inv.namespaces.filter((n) => n.injection);
  if (onboarded.some((n) => n.name === gateway.namespace)) throw new Error(`the gateway namespace ${gateway.namespace} is one of the mesh's application namespaces: choose another (--gateway-namespace)`);
  for (const ns of inv.namespaces.filter((n) => !n.injection)) {
    untranslatable.push({ ref: `Namespace ${ns.name}`, reason: 'in the mesh without sidecar injection (an ingress controller\'s namespace, usually): Istio needs no such membership, so it is not onboarded; remove the source mesh\'s labels by hand' });
  }
  for (const ns of onboarded) {
    const f = file(ns.name);
    f.objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: labelsOf(ns.name, opts) } });
    f.objects.push(obj(istioMigrationTypes.peerAuthentication, ns.name, 'default', { mtls: { mode: 'STRICT' } }));
    f.notes.push(`Namespace ${ns.name}: ${Object.entries(labelsOf(ns.name, opts)).map(([k, v]) => `${k}=${v}`).join(', ')}; mTLS STRICT (in-mesh traffic was mTLS only)`);
    if (!inv.settings.permissiveTraffic && fault !== 'default-deny-missing') {
      f.objects.push(obj(istioMigrationTypes.authorizationPolicy, ns.name, 'allow-nothing', {}));
      f.notes.push(`non-permissive mode → AuthorizationPolicy allow-nothing: workloads no access rule names refuse every client (403)`);
    } else if (fault === 'default-deny-missing') {
      f.notes.push('TRANSLATION FAULT default-deny-missing: no allow-nothing policy');
    }
  }
  if (!inv.settings.permissiveTraffic) {
    let faulted = false;
    for (const rule of inv.accessRules) {
      for (const ignored of rule.ignored) file(rule.destination.namespace).notes.push(`${describeSource(rule.ref)}: ${ignored}`);
      const inject = fault === 'traffic-target-too-permissive' && !faulted && rule.http.length > 0;
      if (inject) faulted = true;
      add(rule.destination.namespace, accessRulePolicies(inv, rule, opts, untranslatable, inject));
    }
  } else if (inv.accessRules.length) {
    for (const rule of inv.accessRules) file(rule.destination.namespace).notes.push(`${describeSource(rule.ref)}: not translated: permissive mode ignores access rules (OSM programs no RBAC), and so does the plan`);
  }
  for (const split of inv.trafficSplits) add(split.namespace, trafficSplitObjects(inv, split, untranslatable));
  const admitted = inv.settings.ingressAdmissionEnforced ? inv.ingress : [];
  for (const ib of inv.ingress.filter((x) => !admitted.includes(x))) untranslatable.push({ ref: describeSource(ib.ref), reason: 'the source mesh does not enforce it (feature flag off): nothing to keep' });
  for (const ib of admitted) add(ib.namespace, ingressObjects(inv, ib, gateway, untranslatable, fault === 'ingress-not-admitted'));
  if (admitted.length) {
    const g = file(gateway.namespace);
    g.objects.unshift(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: gateway.namespace, labels: labelsOf(gateway.namespace, opts) } },
      obj(istioMigrationTypes.gateway, gateway.namespace, gateway.name, {
        gatewayClassName: 'istio',
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }],
      }),
    );
    g.notes.push(`the ingress gateway: istiod of ${opts.revision ? `revision ${opts.revision}` : 'the default revision'} deploys ${gateway.name}-istio (ServiceAccount ${gateway.name}-istio) for it; its address: kubectl get gtw -n ${gateway.namespace} ${gateway.name}`);
  }

  const sorted = [...files.values()].sort((a, b) => (a.namespace === gateway.namespace ? -1 : b.namespace === gateway.namespace ? 1 : a.namespace.localeCompare(b.namespace)));
  const steps = [
    ...inv.namespaces.filter((n) => n.labels.length || n.annotations.length).map((n) => [
      ...(n.labels.length ? [`kubectl label namespace ${n.name} ${n.labels.map((k) => `${k}-`).join(' ')}`] : []),
      ...(n.annotations.length ? [`kubectl annotate namespace ${n.name} ${n.annotations.map((k) => `${k}-`).join(' ')}`] : []),
    ].join(' && ')),
    ...onboarded.map((n) => `kubectl label namespace ${n.name} ${Object.entries(labelsOf(n.name, opts)).map(([k, v]) => `${k}=${v}`).join(' ')} --overwrite`),
    'kubectl apply -f <plan directory>/',
    ...onboarded.flatMap((n) => [...new Set(inv.cluster.workloads.filter((w) => w.namespace === n.name).map((w) => w.kind.toLowerCase()))]
      .sort().map((kind) => `kubectl rollout restart ${kind} -n ${n.name}`)),
  ];
  return { kind: 'MeshMigrationPlan', version: 1, from: inv.mesh.profile, to: 'istio', revision: opts.revision, files: sorted, untranslatable, steps, ...(fault ? { translationFault: fault } : {}) };
}
