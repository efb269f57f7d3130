/**
 * One pod on a simulated node, as the kubelet's pod worker drives it: sandbox (pod IP), init containers in order,
 * then the app containers, each pulled, created and started, restarted with back-off when it fails, and the pod
 * status written after every change. The state is kept here and rendered into `status` (see renderStatus).
 * Native sidecars (init containers with `restartPolicy: Always`, Kubernetes 1.29+) start in their place among the
 * init containers, keep running, and hold back the next init container until started (after their startup probe
 * when they declare one); their readiness counts in the pod's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { InboundPolicySource, KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import type { ContainerLogs } from './container-logs.ts';
import type { ApiServerAccess, ContainerSpec, PortPlan, RunningContainer } from './container.ts';
import { delay } from './delay.ts';
import { podQosClass } from '../api/pod-qos.ts';
import type { EventRecorder } from '../cluster/event-recorder.ts';
import type { ImageHandler, ImageRegistry } from './images.ts';
import { describeError, field } from './kinds.ts';
import type { NodeKinds } from './kinds.ts';
import { freePort, listenOn } from './network.ts';
import { recordDelay } from '../condition-log.ts';
import { backoffFor } from './timings.ts';
import type { NodeTimings } from './timings.ts';

/** What a pod worker shares with the kubelet that owns it. */
export interface PodWorkerDeps {
  store: ObjectStore;
  kinds: NodeKinds;
  network: SimNetwork;
  hooks: SimHooks;
  policy: InboundPolicySource;
  timings: NodeTimings;
  images: ImageRegistry;
  logs: ContainerLogs;
  events: EventRecorder;
  clock: () => Date;
  nodeName: string;
  hostIP: string;
  /** Images already present on this node (pulled once, then "already present on machine"). */
  imageCache: Set<string>;
  /** The API server as pods reach it (for Prometheus's service discovery); absent in unit tests. */
  apiServer?: ApiServerAccess;
  /** The kubelet's log: a status write the API server refused for another reason than the pod being gone. */
  log?: (line: string) => void;
}

type Waiting = { reason: string; message?: string };
type Running = { startedAt: string };
type Terminated = { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string };
type State = { waiting?: Waiting; running?: Running; terminated?: Terminated };

interface ContainerRun {
  spec: ContainerSpec;
  init: boolean;
  /** A native sidecar: an init container with `restartPolicy: Always`. */
  restartable: boolean;
  /** Its startup probe has passed (true once running for a container without one). */
  startupDone: boolean;
  /** Resolves the wait of the next init container on a native sidecar's start. */
  onStarted?: () => void;
  state: State;
  lastState: State;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
  handle?: RunningContainer;
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
  lastProbeTime: null;
}

/** Drives one pod from its binding to its deletion. */
export class PodWorker {
  private readonly abort = new AbortController();
  private readonly initRuns: ContainerRun[];
  private readonly appRuns: ContainerRun[];
  private readonly conditions = new Map<string, Condition>();
  private podIP: string | undefined;
  private startTime: string | undefined;
  private initialized = false;
  private writing = false;
  private dirty = false;
  private stopped = false;
  private readonly writeIdle: (() => void)[] = [];
  private readonly loops: Promise<void>[] = [];
  private ports: PortPlan[] = [];
  /** Listeners bound to the pod's localhost (listenLocal): port → the private port on the pod IP. */
  private readonly localPorts = new Map<number, number>();

  constructor(
    private pod: KubeObject,
    private readonly deps: PodWorkerDeps,
  ) {
    const spec = field<{ initContainers?: ContainerSpec[]; containers?: ContainerSpec[] }>(pod, 'spec') ?? {};
    const fresh = (c: ContainerSpec, init: boolean): ContainerRun => ({
      spec: c,
      init,
      restartable: init && c['restartPolicy'] === 'Always',
      startupDone: false,
      state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: {},
      restartCount: 0,
      ready: false,
      started: false,
    });
    this.initRuns = (spec.initContainers ?? []).map((c) => fresh(c, true));
    this.appRuns = (spec.containers ?? []).map((c) => fresh(c, false));
    this.initialized = this.initRuns.length === 0;
    if (!this.initialized) for (const run of this.appRuns) run.state = { waiting: { reason: 'PodInitializing' } };
  }

  get uid(): string | undefined {
    return this.pod.metadata.uid;
  }

  /** Runs the pod until stop(); never rejects. */
  start(): void {
    this.loops.push(this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.deps.logs.append(this.ns, this.name, '_kubelet', `pod worker failed: ${describeError(err)}`);
    }));
  }

  /**
   * Stops every container and releases the pod IP. With `removeObject`, finishes graceful deletion by removing
   * the pod object, as the kubelet does once the containers are gone.
   */
  async stop(removeObject: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new Error(`pod ${this.ns}/${this.name} is stopping`));
    const running = [...this.appRuns, ...this.initRuns].filter((r) => r.handle);
    await Promise.all(
      running.map(async (run) => {
        if (removeObject) await this.event(run, 'Normal', 'Killing', `Stopping container ${run.spec.name}`);
        await run.handle!.stop().catch(() => undefined);
        run.handle = undefined;
      }),
    );
    await Promise.allSettled(this.loops);
    await this.waitForWrites();
    if (this.podIP && this.podIP !== this.deps.hostIP) this.deps.network.release(this.podIP);
    if (!removeObject) return;
    this.deps.logs.forgetPod(this.ns, this.name);
    // Grace period 0: the containers are gone, so the object can go (the kubelet's final DELETE).
    const opts = { propagationPolicy: 'Background', gracePeriodSeconds: 0 };
    await this.deps.store.delete(this.deps.kinds.pod, this.ns, this.name, opts).catch(() => undefined);
  }

  /**
   * Where a connection to `port` made from inside the pod (as kubelet port-forwarding does) really lands: an app
   * port's private listener, bypassing the sidecar as localhost traffic does, or podIP:port for anything else.
   */
  localEndpoint(port: number): { host: string; port: number } | undefined {
    if (!this.podIP) return undefined;
    const local = this.localPorts.get(port);
    if (local !== undefined) return { host: this.podIP, port: local };
    const plan = this.ports.find((p) => p.containerPort === port);
    return { host: this.podIP, port: plan?.listenPort ?? port };
  }

  /** A listener on the pod's 127.0.0.1:port: a private port of the pod IP, found only through localEndpoint(port). */
  private async listenLocal(server: net.Server, port: number): Promise<void> {
    if (this.localPorts.has(port)) throw Object.assign(new Error(`listen tcp 127.0.0.1:${port}: bind: address already in use`), { code: 'EADDRINUSE' });
    await listenOn(server, this.podIP!, 0);
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error(`listener for 127.0.0.1:${port} has no TCP address`);
    this.localPorts.set(port, address.port);
    server.once('close', () => {
      if (this.localPorts.get(port) === address.port) this.localPorts.delete(port);
    });
  }

  private get ns(): string {
    return this.pod.metadata.namespace ?? 'default';
  }

  private get name(): string {
    return this.pod.metadata.name ?? '';
  }

  private get restartPolicy(): string {
    return field<string>(field(this.pod, 'spec'), 'restartPolicy') ?? 'Always';
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const hostNetwork = field<boolean>(field(this.pod, 'spec'), 'hostNetwork') === true;
    this.startTime = this.now();
    this.podIP = hostNetwork ? this.deps.hostIP : this.deps.network.allocate(`pod:${this.ns}/${this.name}`);
    this.requestWrite();
    const ports = await this.planPorts();
    this.ports = ports;

    for (const run of this.initRuns) {
      run.state = { waiting: { reason: 'PodInitializing' } };
      if (run.restartable) {
        // A native sidecar: it keeps running (and restarting) beside the rest of the pod; the next init container
        // waits until it has started.
        const started = new Promise<void>((resolve) => (run.onStarted = resolve));
        this.loops.push(this.keepRunning(run, ports, () => undefined));
        await raceAbort(started, signal);
        continue;
      }
      for (;;) {
        signal.throwIfAborted();
        const exitCode = await this.runOnce(run, ports);
        if (exitCode === 0) break;
        if (this.restartPolicy === 'Never') return;
        await this.crashBackoff(run);
      }
    }
    this.initialized = true;
    for (const run of this.appRuns) if (run.state.waiting?.reason === 'PodInitializing') run.state = { waiting: { reason: 'ContainerCreating' } };
    this.requestWrite();

    // The kubelet starts app containers one after another, without waiting for readiness; a container whose image
    // cannot be pulled does not hold back the others.
    for (const run of this.appRuns) {
      let firstAttemptDone: () => void = () => {};
      const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
      this.loops.push(this.keepRunning(run, ports, firstAttemptDone));
      await firstAttempt;
      signal.throwIfAborted();
    }
  }

  /** An app container's (or a native sidecar's) life: run, and restart per restartPolicy with back-off. */
  private async keepRunning(run: ContainerRun, ports: PortPlan[], firstAttemptDone: () => void): Promise<void> {
    try {
      for (;;) {
        const exitCode = await this.runOnce(run, ports, firstAttemptDone);
        const policy = run.restartable ? 'Always' : this.restartPolicy;
        if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) return;
        await this.crashBackoff(run);
      }
    } catch {
      // Aborted: the pod is stopping.
    } finally {
      firstAttemptDone();
    }
  }

  /** Pull (with back-off until it succeeds), create, start, and wait for the container to exit. */
  private async runOnce(run: ContainerRun, ports: PortPlan[], startedCallback?: () => void): Promise<number> {
    const signal = this.abort.signal;
    const handler = await this.pull(run, startedCallback);
    run.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    await this.event(run, 'Normal', 'Created', `Created container ${run.spec.name}`);
    recordDelay('containerStart', this.pod, this.deps.timings.containerStartMs);
    await delay(this.deps.timings.containerStartMs, signal);
    const startedAt = this.now();
    let handle: RunningContainer;
    try {
      handle = await handler.start({
        pod: this.pod,
        container: run.spec,
        podIP: this.podIP!,
        hostIP: this.deps.hostIP,
        nodeName: this.deps.nodeName,
        ports,
        store: this.deps.store,
        network: this.deps.network,
        hooks: this.deps.hooks,
        policy: this.deps.policy,
        timings: this.deps.timings,
        clock: this.deps.clock,
        log: (line) => this.deps.logs.append(this.ns, this.name, run.spec.name, line),
        listenLocal: (server, port) => this.listenLocal(server, port),
        ...(this.deps.apiServer ? { apiServer: this.deps.apiServer } : {}),
      });
    } catch (err) {
      signal.throwIfAborted();
      const message = describeError(err);
      this.deps.logs.append(this.ns, this.name, run.spec.name, message);
      run.state = { terminated: { exitCode: 128, reason: 'StartError', message, startedAt, finishedAt: this.now(), containerID: run.containerID } };
      await this.event(run, 'Warning', 'Failed', `Error: ${message}`);
      this.requestWrite();
      startedCallback?.();
      return 128;
    }
    if (signal.aborted) {
      await handle.stop();
      signal.throwIfAborted();
    }
    run.handle = handle;
    run.state = { running: { startedAt } };
    run.started = true;
    const serving = !run.init || run.restartable;
    const probed = handle.whenReady !== undefined;
    run.ready = serving && handle.ready && !probed;
    // Without a startup probe a container counts as started once running; with one, when the probe first passes,
    // which for our containers is when they would first report ready.
    run.startupDone = !(probed && run.spec['startupProbe'] !== undefined);
    if (probed) {
      void handle.whenReady!.then(() => {
        if (run.handle !== handle) return;
        run.ready = serving;
        run.startupDone = true;
        run.onStarted?.();
        this.requestWrite();
      }, (err: unknown) => {
        // A probe that can never pass: the container stays unready, as a failing probe leaves it.
        this.deps.logs.append(this.ns, this.name, run.spec.name, `readiness: ${describeError(err)}`);
      });
    }
    if (run.startupDone) run.onStarted?.();
    await this.event(run, 'Normal', 'Started', `Started container ${run.spec.name}`);
    this.requestWrite();
    startedCallback?.();

    const exitCode = await raceAbort(handle.exited, signal);
    run.handle = undefined;
    run.ready = false;
    run.startupDone = false;
    const finishedAt = this.now();
    const reason = exitCode === 0 ? 'Completed' : 'Error';
    run.state = { terminated: { exitCode, reason, startedAt, finishedAt, containerID: run.containerID } };
    this.requestWrite();
    return exitCode;
  }

  /** Makes the image present: pulls it, or fails with ErrImagePull then ImagePullBackOff and retries with back-off. */
  private async pull(run: ContainerRun, firstFailure?: () => void): Promise<ImageHandler> {
    const signal = this.abort.signal;
    const image = run.spec.image ?? '';
    let failures = 0;
    for (;;) {
      const handler = this.deps.images.resolve(run.spec);
      const pullable = handler !== undefined && !this.deps.hooks.node.imagePullFails(handler, this.ns);
      if (pullable && this.deps.imageCache.has(image)) {
        await this.event(run, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return handler;
      }
      await this.event(run, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const began = performance.now();
      recordDelay('imagePull', this.pod, this.deps.timings.imagePullMs);
      await delay(this.deps.timings.imagePullMs, signal);
      if (pullable) {
        this.deps.imageCache.add(image);
        const seconds = ((performance.now() - began) / 1000).toFixed(3);
        await this.event(run, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${seconds}s (${seconds}s including waiting)`);
        return handler;
      }
      failures++;
      const ref = normalizeImage(image);
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
      run.state = { waiting: { reason: 'ErrImagePull', message } };
      this.requestWrite();
      await this.event(run, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      await this.event(run, 'Warning', 'Failed', 'Error: ErrImagePull');
      firstFailure?.();
      await delay(this.deps.timings.errImagePullMs, signal);
      run.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
      this.requestWrite();
      await this.event(run, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      await this.event(run, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      await delay(backoffFor(this.deps.timings, failures), signal);
    }
  }

  /** After a container exited: CrashLoopBackOff for the back-off, then the restart. */
  private async crashBackoff(run: ContainerRun): Promise<void> {
    run.restartCount++;
    run.lastState = { terminated: run.state.terminated ?? { exitCode: 1, reason: 'Error', finishedAt: this.now() } };
    const wait = backoffFor(this.deps.timings, run.restartCount);
    const podRef = `${this.name}_${this.ns}(${this.uid ?? ''})`;
    run.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(wait)} restarting failed container=${run.spec.name} pod=${podRef}` } };
    this.deps.logs.rotate(this.ns, this.name, run.spec.name);
    this.requestWrite();
    await this.event(run, 'Warning', 'BackOff', `Back-off restarting failed container ${run.spec.name} in pod ${podRef}`);
    await delay(wait, this.abort.signal);
  }

  /**
   * Port layout: with a sidecar that intercepts inbound traffic (OSM's envoy, Istio's istio-proxy; see
   * ImageHandler.interceptsInbound), the sidecar owns every app containerPort and the apps move to private ports.
   */
  private async planPorts(): Promise<PortPlan[]> {
    const intercepts = (r: ContainerRun): boolean => r.spec.name === 'envoy' || this.deps.images.resolve(r.spec)?.interceptsInbound?.(r.spec) === true;
    const hasSidecar = [...this.initRuns, ...this.appRuns].some(intercepts);
    // The init container's iptables rules redirect the pod's own connections to the sidecar's outbound port too:
    // until the sidecar listens there, they are refused.
    if (hasSidecar && this.podIP !== this.deps.hostIP) this.deps.network.setOutbound(this.podIP!, 'refused');
    const plans: PortPlan[] = [];
    for (const run of this.appRuns) {
      if (intercepts(run)) continue;
      for (const p of run.spec.ports ?? []) {
        if (p.protocol && p.protocol !== 'TCP') continue;
        const listenPort = hasSidecar ? await freePort(this.podIP!) : p.containerPort;
        plans.push({ containerName: run.spec.name, name: p.name, containerPort: p.containerPort, hostPort: p.hostPort, listenPort });
      }
    }
    return plans;
  }

  private async event(run: ContainerRun, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (this.stopped && reason !== 'Killing') return;
    await this.deps.events.record({
      involved: this.pod,
      fieldPath: `${run.init ? 'spec.initContainers' : 'spec.containers'}{${run.spec.name}}`,
      type,
      reason,
      message,
    });
  }

  /** Coalesces status writes: at most one in flight, and one more with the newest state after it. */
  private requestWrite(): void {
    if (this.stopped) return;
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = true;
    queueMicrotask(() => void this.writeLoop());
  }

  private async writeLoop(): Promise<void> {
    do {
      this.dirty = false;
      const status = this.renderStatus();
      try {
        const updated = await this.deps.store.mutate(this.deps.kinds.pod, this.ns, this.name, (obj) => {
          const previous = (obj.status as Record<string, unknown> | undefined) ?? {};
          const scheduled = ((previous.conditions as Condition[] | undefined) ?? []).find((c) => c.type === 'PodScheduled');
          const conditions = status.conditions as Condition[];
          obj.status = { ...previous, ...status, conditions: scheduled ? conditions.map((c) => (c.type === 'PodScheduled' ? scheduled : c)) : conditions };
        }, { subresource: 'status' });
        this.pod = { ...this.pod, metadata: updated.metadata };
      } catch (err) {
        // The pod may be gone (deleted under us); the next change retries with fresh state. Anything else is what a
        // kubelet logs as "Failed to update status for pod": say so, or a refused write looks like a stuck pod.
        if ((err as { code?: number }).code !== 404) this.deps.log?.(`kubelet: failed to update status for pod ${this.ns}/${this.name}: ${describeError(err)}`);
      }
    } while (this.dirty && !this.stopped);
    this.writing = false;
    for (const resolve of this.writeIdle.splice(0)) resolve();
  }

  private waitForWrites(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.writeIdle.push(resolve));
  }

  /** The pod status the kubelet reports for the current state. */
  renderStatus(): Record<string, unknown> {
    // Native sidecars count in the pod's readiness, listed before the app containers as the kubelet lists them.
    const notReady = [...this.initRuns.filter((r) => r.restartable), ...this.appRuns].filter((r) => !r.ready).map((r) => r.spec.name);
    const notInitialized = this.initRuns
      .filter((r) => (r.restartable ? !(r.state.running && r.startupDone) : r.state.terminated?.exitCode !== 0 || r.state.waiting))
      .map((r) => r.spec.name);
    const ready = this.initialized && notReady.length === 0;
    this.setCondition('Initialized', this.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${notInitialized.join(' ')}]`);
    this.setCondition('Ready', ready, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`);
    this.setCondition('ContainersReady', ready, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`);
    this.setCondition('PodScheduled', true, '', '');
    // The pod's address in the cluster (its loopback address, or the cluster address standing for it: network.ts).
    const podIP = this.podIP ? this.deps.network.clusterAddressOf(this.podIP) : undefined;
    const podIPs = podIP ? [{ ip: podIP }] : [];
    return {
      phase: this.phase(),
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) => this.conditions.get(t)!),
      hostIP: this.deps.hostIP,
      hostIPs: [{ ip: this.deps.hostIP }],
      ...(podIP ? { podIP, podIPs } : {}),
      startTime: this.startTime ?? this.now(),
      // The kubelet reports the class it computes (GetPodQOS), which equals the API server's: it is immutable.
      qosClass: podQosClass(this.pod.spec),
      ...(this.initRuns.length ? { initContainerStatuses: this.initRuns.map((r) => this.containerStatus(r)) } : {}),
      containerStatuses: this.appRuns.map((r) => this.containerStatus(r)),
    };
  }

  private phase(): string {
    if (!this.initialized) return 'Pending';
    const neverStarted = this.appRuns.some((r) => r.state.waiting && !r.lastState.terminated);
    if (neverStarted) return 'Pending';
    const allTerminated = this.appRuns.every((r) => r.state.terminated);
    if (allTerminated && this.restartPolicy !== 'Always') {
      return this.appRuns.every((r) => r.state.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    return 'Running';
  }

  private containerStatus(run: ContainerRun): Record<string, unknown> {
    const image = run.spec.image ?? '';
    return {
      name: run.spec.name,
      state: run.state,
      lastState: run.lastState,
      ready: run.init && !run.restartable ? run.state.terminated?.exitCode === 0 : run.ready,
      restartCount: run.restartCount,
      image: normalizeImage(image),
      imageID: run.started ? `${imageRepoOf(normalizeImage(image))}@sha256:${createHash('sha256').update(image).digest('hex')}` : '',
      ...(run.containerID && !run.state.waiting ? { containerID: run.containerID } : {}),
      started: (!run.init || run.restartable) && !!run.state.running && run.startupDone,
    };
  }

  private setCondition(type: string, ok: boolean, reason: string, message: string): void {
    const status = ok ? 'True' : 'False';
    const previous = this.conditions.get(type);
    const lastTransitionTime = previous && previous.status === status ? previous.lastTransitionTime : this.now();
    this.conditions.set(type, { type, status, ...(ok ? {} : { reason, message }), lastProbeTime: null, lastTransitionTime });
  }

  private now(): string {
    return this.deps.clock().toISOString().replace(/\.\d+Z$/, 'Z');
  }
}

/** `kennethreitz/httpbin` -> `docker.io/kennethreitz/httpbin:latest`, as containerd reports it. */
export function normalizeImage(image: string): string {
  let ref = image;
  const first = ref.split('/')[0]!;
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') && !ref.includes('@')) ref = `${ref}:latest`;
  return ref;
}

function imageRepoOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', slash);
  return colon >= 0 ? ref.slice(0, colon) : ref;
}

function formatDuration(ms: number): string {
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  if (ms >= 1000) return `${Math.round(ms / 1000)}s`;
  return `${ms}ms`;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) {
      reject(reason());
      return;
    }
    const onAbort = (): void => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
