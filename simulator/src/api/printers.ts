/**
 * Printer columns for the builtin kinds, matching what kube-apiserver's Table output gives
 * `kubectl get` (pkg/printers/internalversion/printers.go). Date columns return the timestamp;
 * the Table renderer turns them into an age like `5m`.
 */
import type { KubeObject, PrinterColumn } from '../cluster/types.ts';

type Obj = Record<string, unknown>;

function rec(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}
function arr(value: unknown): Obj[] {
  return Array.isArray(value) ? (value as Obj[]) : [];
}
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** The Name column every Table starts with. */
export const nameColumn: PrinterColumn = {
  name: 'Name', type: 'string', format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name ?? '',
};

/** The Age column: the creation timestamp, rendered as an age. */
export const ageColumn: PrinterColumn = {
  name: 'Age', type: 'date',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o) => o.metadata.creationTimestamp ?? '',
};

/**
 * kubectl's pod STATUS, READY and RESTARTS, computed as printPod() does (pkg/printers/internalversion/printers.go,
 * Kubernetes 1.29+): native sidecars (init containers with `restartPolicy: Always`) count in READY once started, and
 * their restarts count after initialization.
 */
export function podSummary(pod: KubeObject): { ready: string; status: string; restarts: number } {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const containers = arr(spec.containers);
  const initSpecs = arr(spec.initContainers);
  const restartable = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => str(c.name)));
  let reason = str(status.reason) || str(status.phase) || 'Pending';
  let restarts = 0;
  let sidecarRestarts = 0;
  let readyContainers = 0;
  const totalContainers = containers.length + restartable.size;
  let initializing = false;

  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += num(cs.restartCount);
    const sidecar = restartable.has(str(cs.name));
    if (sidecar) sidecarRestarts += num(cs.restartCount);
    const state = rec(cs.state);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined ? undefined : rec(state.waiting);
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (str(terminated.reason) !== '') reason = `Init:${str(terminated.reason)}`;
      else if (num(terminated.signal) !== 0) reason = `Init:Signal:${num(terminated.signal)}`;
      else reason = `Init:ExitCode:${num(terminated.exitCode)}`;
    } else if (waiting && str(waiting.reason) !== '' && str(waiting.reason) !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initializedCondition = arr(status.conditions).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedCondition) {
    restarts = sidecarRestarts;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += num(cs.restartCount);
      const state = rec(cs.state);
      const waiting = state.waiting === undefined ? undefined : rec(state.waiting);
      const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
      if (waiting && str(waiting.reason) !== '') reason = str(waiting.reason);
      else if (terminated && str(terminated.reason) !== '') reason = str(terminated.reason);
      else if (terminated) reason = num(terminated.signal) !== 0 ? `Signal:${num(terminated.signal)}` : `ExitCode:${num(terminated.exitCode)}`;
      else if (cs.ready === true && state.running !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = readyCondition ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp) reason = str(status.reason) === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts };
}

function serviceExternalIp(svc: KubeObject): string {
  const spec = rec(svc.spec);
  const type = str(spec.type) || 'ClusterIP';
  const external = (spec.externalIPs as string[] | undefined) ?? [];
  const lbIngress = arr(rec(rec(svc.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).filter((s) => s !== '');
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const all = [...lbIngress, ...external];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: KubeObject): string {
  const ports = arr(rec(svc.spec).ports);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => {
    const proto = str(p.protocol) || 'TCP';
    return p.nodePort ? `${num(p.port)}:${num(p.nodePort)}/${proto}` : `${num(p.port)}/${proto}`;
  }).join(',');
}

function selectorString(selector: unknown): string {
  const entries = Object.entries(rec(selector));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${str(v)}`).join(',');
}

function ingressAddress(obj: KubeObject): string {
  return arr(rec(rec(obj.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).filter((s) => s !== '').join(',');
}

function ingressHosts(obj: KubeObject): string {
  const rules = arr(rec(obj.spec).rules);
  if (rules.length === 0) return '*';
  return rules.map((r) => str(r.host) || '*').join(',');
}

function endpointsSummary(ep: KubeObject): string {
  const all: string[] = [];
  for (const subset of arr(ep.subsets)) {
    const ports = arr(subset.ports);
    for (const addr of arr(subset.addresses)) {
      if (ports.length === 0) all.push(str(addr.ip));
      for (const port of ports) all.push(`${str(addr.ip)}:${num(port.port)}`);
    }
  }
  if (all.length === 0) return '<none>';
  if (all.length <= 3) return all.join(',');
  return `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`;
}

function nodeStatus(node: KubeObject): string {
  const ready = arr(rec(node.status).conditions).find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (rec(node.spec).unschedulable === true) status += ',SchedulingDisabled';
  return status;
}

function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r !== '');
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

function containersOf(podSpec: unknown): Obj[] {
  return arr(rec(podSpec).containers);
}

function eventObject(ev: KubeObject): string {
  const io = rec(ev.involvedObject);
  return `${str(io.kind).toLowerCase()}/${str(io.name)}`;
}

function c(name: string, cell: PrinterColumn['cell'], extra: Partial<PrinterColumn> = {}): PrinterColumn {
  return { name, type: 'string', cell, ...extra };
}

/** Printer columns by builtin kind. Kinds not listed get Name and Age. */
export const builtinPrinterColumns: Record<string, PrinterColumn[]> = {
  Pod: [
    nameColumn,
    c('Ready', (o) => podSummary(o).ready, { description: 'The aggregate readiness state of this pod for accepting traffic.' }),
    c('Status', (o) => podSummary(o).status, { description: 'The aggregate status of the containers in this pod.' }),
    c('Restarts', (o) => String(podSummary(o).restarts), { description: 'The number of times the containers in this pod have been restarted.' }),
    ageColumn,
    c('IP', (o) => str(rec(o.status).podIP) || '<none>', { priority: 1 }),
    c('Node', (o) => str(rec(o.spec).nodeName) || '<none>', { priority: 1 }),
    c('Nominated Node', () => '<none>', { priority: 1 }),
    c('Readiness Gates', () => '<none>', { priority: 1 }),
  ],
  Service: [
    nameColumn,
    c('Type', (o) => str(rec(o.spec).type) || 'ClusterIP'),
    c('Cluster-IP', (o) => str(rec(o.spec).clusterIP) || '<none>'),
    c('External-IP', serviceExternalIp),
    c('Port(s)', servicePorts),
    ageColumn,
    c('Selector', (o) => selectorString(rec(o.spec).selector), { priority: 1 }),
  ],
  Ingress: [
    nameColumn,
    c('Class', (o) => str(rec(o.spec).ingressClassName) || '<none>'),
    c('Hosts', ingressHosts),
    c('Address', ingressAddress),
    c('Ports', (o) => (arr(rec(o.spec).tls).length > 0 ? '80, 443' : '80')),
    ageColumn,
  ],
  Lease: [nameColumn, c('Holder', (o) => str(rec(o.spec).holderIdentity), { description: 'holderIdentity contains the identity of the holder of a current lease.' }), ageColumn],
  IngressClass: [
    nameColumn,
    c('Controller', (o) => str(rec(o.spec).controller)),
    c('Parameters', (o) => {
      const p = rec(rec(o.spec).parameters);
      return p.name ? `${str(p.kind)}/${str(p.name)}` : '<none>';
    }),
    ageColumn,
  ],
  Deployment: [
    nameColumn,
    c('Ready', (o) => `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas)}`),
    c('Up-to-date', (o) => num(rec(o.status).updatedReplicas), { type: 'integer' }),
    c('Available', (o) => num(rec(o.status).availableReplicas), { type: 'integer' }),
    ageColumn,
    c('Containers', (o) => containersOf(rec(rec(o.spec).template).spec).map((x) => str(x.name)).join(','), { priority: 1 }),
    c('Images', (o) => containersOf(rec(rec(o.spec).template).spec).map((x) => str(x.image)).join(','), { priority: 1 }),
    c('Selector', (o) => selectorString(rec(rec(o.spec).selector).matchLabels), { priority: 1 }),
  ],
  DaemonSet: [
    nameColumn,
    c('Desired', (o) => num(rec(o.status).desiredNumberScheduled), { type: 'integer' }),
    c('Current', (o) => num(rec(o.status).currentNumberScheduled), { type: 'integer' }),
    c('Ready', (o) => num(rec(o.status).numberReady), { type: 'integer' }),
    c('Up-to-date', (o) => num(rec(o.status).updatedNumberScheduled), { type: 'integer' }),
    c('Available', (o) => num(rec(o.status).numberAvailable), { type: 'integer' }),
    c('Node Selector', (o) => selectorString(rec(rec(rec(o.spec).template).spec).nodeSelector)),
    ageColumn,
  ],
  ReplicaSet: [
    nameColumn,
    c('Desired', (o) => num(rec(o.spec).replicas), { type: 'integer' }),
    c('Current', (o) => num(rec(o.status).replicas), { type: 'integer' }),
    c('Ready', (o) => num(rec(o.status).readyReplicas), { type: 'integer' }),
    ageColumn,
  ],
  Namespace: [
    nameColumn,
    c('Status', (o) => str(rec(o.status).phase) || 'Active'),
    ageColumn,
  ],
  Node: [
    nameColumn,
    c('Status', nodeStatus),
    c('Roles', nodeRoles),
    ageColumn,
    c('Version', (o) => str(rec(rec(o.status).nodeInfo).kubeletVersion)),
    c('Internal-IP', (o) => str(arr(rec(o.status).addresses).find((a) => a.type === 'InternalIP')?.address) || '<none>', { priority: 1 }),
    c('OS-Image', (o) => str(rec(rec(o.status).nodeInfo).osImage), { priority: 1 }),
  ],
  Endpoints: [nameColumn, c('Endpoints', endpointsSummary), ageColumn],
  ConfigMap: [nameColumn, c('Data', (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length, { type: 'integer' }), ageColumn],
  Secret: [
    nameColumn,
    c('Type', (o) => str(o.type) || 'Opaque'),
    c('Data', (o) => Object.keys(rec(o.data)).length, { type: 'integer' }),
    ageColumn,
  ],
  ServiceAccount: [nameColumn, c('Secrets', (o) => arr(o.secrets).length, { type: 'integer' }), ageColumn],
  Event: [
    c('Last Seen', (o) => str(o.lastTimestamp) || str(o.eventTime) || o.metadata.creationTimestamp || '', { type: 'date' }),
    c('Type', (o) => str(o.type)),
    c('Reason', (o) => str(o.reason)),
    c('Object', eventObject),
    c('Subobject', (o) => str(rec(o.involvedObject).fieldPath), { priority: 1 }),
    c('Source', (o) => str(rec(o.source).component), { priority: 1 }),
    c('Message', (o) => str(o.message)),
    c('First Seen', (o) => str(o.firstTimestamp) || o.metadata.creationTimestamp || '', { type: 'date', priority: 1 }),
    c('Count', (o) => num(o.count), { type: 'integer', priority: 1 }),
    { ...nameColumn, priority: 1 },
  ],
  CustomResourceDefinition: [nameColumn, c('Created At', (o) => o.metadata.creationTimestamp ?? '')],
  MutatingWebhookConfiguration: [nameColumn, c('Webhooks', (o) => arr(o.webhooks).length, { type: 'integer' }), ageColumn],
  ValidatingWebhookConfiguration: [nameColumn, c('Webhooks', (o) => arr(o.webhooks).length, { type: 'integer' }), ageColumn],
};

/** Formats a duration as kubectl ages do (apimachinery duration.HumanDuration): `45s`, `3m20s`, `5h`, `2d3h`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}
