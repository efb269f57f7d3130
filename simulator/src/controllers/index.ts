/**
 * The kube-controller-manager of the simulated cluster: the controllers a conformance run depends on,
 * started together against one store and stopped together.
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { DaemonSetController } from './daemonset-controller.ts';
import { DeploymentController } from './deployment-controller.ts';
import { EndpointsController } from './endpoints-controller.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { LeaderLease } from './leader-lease.ts';
import { JobController } from './job-controller.ts';
import { NamespaceController } from './namespace-controller.ts';
import type { NamespaceControllerOptions } from './namespace-controller.ts';
import type { QueueController } from './queue-controller.ts';
import { ReplicaSetController } from './replicaset-controller.ts';
import { ServiceAccountController } from './serviceaccount-controller.ts';

export interface ControllerManagerOptions {
  /** Services whose endpoints stay empty (a hook, src/hooks.ts). */
  suppressEndpoints?: (service: KubeObject) => boolean;
  /** Cluster CA, published as the kube-root-ca.crt ConfigMap in every namespace. */
  caPem?: string;
  /** How often the leader-election Lease is renewed (default 2 s, client-go's RetryPeriod). */
  leaseRenewIntervalMs?: number;
  /** The namespace controller's modelled pace (node/timings.ts: namespaceDeletionDelayMs, namespaceRequeueMs). */
  namespaceDeletion?: NamespaceControllerOptions;
}

export interface ControllerManager {
  stop(): void;
}

/**
 * Starts the namespace, garbage-collector, deployment, replicaset, daemonset, endpoints, serviceaccount and job
 * controllers, and holds the controller manager's leader-election Lease (renewed every 2 s).
 */
export function startControllerManager(store: ObjectStore, opts: ControllerManagerOptions = {}): ControllerManager {
  const controllers = [
    ...startLifecycleControllers(store, opts.namespaceDeletion),
    new DeploymentController(store).start(),
    new ReplicaSetController(store).start(),
    new DaemonSetController(store).start(),
    new EndpointsController(store, opts.suppressEndpoints ? { suppress: opts.suppressEndpoints } : {}).start(),
    new ServiceAccountController(store, opts.caPem ? { caPem: opts.caPem } : {}).start(),
    new JobController(store).start(),
  ];
  const lease = new LeaderLease(store, opts.leaseRenewIntervalMs !== undefined ? { renewIntervalMs: opts.leaseRenewIntervalMs } : {}).start();
  return {
    stop() {
      lease.stop();
      for (const c of controllers.reverse()) c.stop();
    },
  };
}

/**
 * The namespace and garbage-collector controllers alone: what a bare store needs for Namespace deletion and
 * owner-reference cascades to finish (the API server tests run these without the workload controllers).
 */
export function startLifecycleControllers(store: ObjectStore, namespaceDeletion: NamespaceControllerOptions = {}): QueueController[] {
  return [new NamespaceController(store, namespaceDeletion).start(), new GarbageCollector(store).start()];
}

export { EventRecorder } from '../cluster/event-recorder.ts';
export type { EventType } from '../cluster/event-recorder.ts';
