/**
 * Field defaulting that clients expect from kube-apiserver: the few defaults the harness and
 * kubectl read back (pod restartPolicy, service clusterIP and port protocol, deployment replicas).
 * The store calls it on create and update, before admission.
 */
import type { KubeObject, ResourceType } from '../cluster/types.ts';

type Obj = Record<string, unknown>;

function rec(parent: Obj, key: string): Obj {
  const value = parent[key];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

function defaultContainer(container: Obj): void {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.imagePullPolicy ??= typeof container.image === 'string' && (container.image.endsWith(':latest') || !container.image.includes(':')) ? 'Always' : 'IfNotPresent';
  if (Array.isArray(container.ports)) for (const p of container.ports as Obj[]) p.protocol ??= 'TCP';
}

/** Pod spec defaults (also applied to pod templates). */
export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  if (spec.serviceAccountName === undefined && spec.serviceAccount === undefined) spec.serviceAccountName = 'default';
  for (const key of ['containers', 'initContainers']) {
    if (Array.isArray(spec[key])) for (const c of spec[key] as Obj[]) defaultContainer(c);
  }
}

/** Allocates cluster IPs from 10.96.0.0/16 and node ports from 30000-32767; they are reported only and never dialled. */
export class ClusterIpAllocator {
  private next = 10;
  private nextNodePort = 30_000 + Math.floor(Math.random() * 2_000);

  /** A node port for a NodePort or LoadBalancer Service port that names none. */
  allocateNodePort(): number {
    const port = this.nextNodePort;
    this.nextNodePort = port >= 32_767 ? 30_000 : port + 1;
    return port;
  }

  private readonly used = new Set<string>();

  allocate(): string {
    for (;;) {
      const n = this.next++;
      const ip = `10.96.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }

  reserve(ip: string): void {
    this.used.add(ip);
  }

  release(ip: string): void {
    this.used.delete(ip);
  }
}

/** Applies the defaults of `resource` to `obj` in place; `old` is the stored object on update. */
export function applyDefaults(resource: ResourceType, obj: KubeObject, ips: ClusterIpAllocator, old?: KubeObject): void {
  const o = obj as Obj;
  switch (`${resource.group}/${resource.kind}`) {
    case '/Pod': {
      defaultPodSpec(rec(o, 'spec'));
      const status = rec(o, 'status');
      status.phase ??= 'Pending';
      // status.qosClass is set after mutating admission (cluster/store.ts, api/pod-qos.ts).
      break;
    }
    case '/Service': {
      const spec = rec(o, 'spec');
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        const oldIp = old ? ((old.spec as Obj | undefined)?.clusterIP as string | undefined) : undefined;
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = oldIp ?? ips.allocate();
        else if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None') ips.reserve(spec.clusterIP);
        spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      if (Array.isArray(spec.ports)) {
        const oldPorts = old ? (((old.spec as Obj | undefined)?.ports as Obj[] | undefined) ?? []) : [];
        const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
        for (const p of spec.ports as Obj[]) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
          if (withNodePorts && p.nodePort === undefined) {
            const kept = oldPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === p.protocol)?.nodePort;
            p.nodePort = typeof kept === 'number' ? kept : ips.allocateNodePort();
          }
        }
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
      if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
      rec(o, 'status').loadBalancer ??= {};
      break;
    }
    case 'apps/DaemonSet': {
      const spec = rec(o, 'spec');
      spec.revisionHistoryLimit ??= 10;
      const strategy = rec(spec, 'updateStrategy');
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = rec(strategy, 'rollingUpdate');
        ru.maxUnavailable ??= 1;
        ru.maxSurge ??= 0;
      }
      defaultPodSpec(rec(rec(spec, 'template'), 'spec'));
      break;
    }
    case 'apps/Deployment': {
      const spec = rec(o, 'spec');
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = rec(spec, 'strategy');
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = rec(strategy, 'rollingUpdate');
        ru.maxUnavailable ??= '25%';
        ru.maxSurge ??= '25%';
      }
      defaultPodSpec(rec(rec(spec, 'template'), 'spec'));
      break;
    }
    case 'apps/ReplicaSet': {
      const spec = rec(o, 'spec');
      spec.replicas ??= 1;
      defaultPodSpec(rec(rec(spec, 'template'), 'spec'));
      break;
    }
    case '/Namespace': {
      rec(o, 'spec').finalizers ??= ['kubernetes'];
      rec(o, 'status').phase ??= 'Active';
      const labels = (obj.metadata.labels ??= {});
      if (obj.metadata.name) labels['kubernetes.io/metadata.name'] = obj.metadata.name;
      break;
    }
    case '/Secret':
      o.type ??= 'Opaque';
      break;
    default:
      break;
  }
}
