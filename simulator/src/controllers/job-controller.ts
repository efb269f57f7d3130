/**
 * kube-controller-manager's job controller, for non-indexed Jobs: it keeps one pod (`parallelism`, default 1) running
 * from the template until `completions` (default 1) pods succeeded, replaces a failed pod until `backoffLimit`
 * (default 6) failures, and fails the Job when `activeDeadlineSeconds` passes. Status as upstream reports it: `active`,
 * `ready`, `succeeded`, `failed`, `startTime`, `completionTime`, and the conditions `SuccessCriteriaMet` then `Complete`,
 * or `FailureTarget` then `Failed` (reason `BackoffLimitExceeded` or `DeadlineExceeded`), so `kubectl wait
 * --for=condition=complete` works. Pods carry `batch.kubernetes.io/job-name`, `job-name` and the controller-uid labels
 * and a controller owner reference (the garbage collector deletes them with the Job). Not modelled: indexed
 * completion, `suspend`, pod failure and success policies, `ttlSecondsAfterFinished`, the back-off delay between
 * retries (a replacement is created at once).
 */
import type { KubeObject, ObjectStore, ResourceType, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import { arr, clone, controllerOf, controllerRef, deepEqual, isOwnedBy, isPodReady, isTerminating, keyOf, num, obj, podPhase, randomSuffix, spec, splitKey, status } from './kube-objects.ts';
import { typeFor } from './resource-lookup.ts';
import { QueueController } from './queue-controller.ts';

type Condition = { type: string; status: 'True'; reason?: string; message?: string; lastProbeTime: string; lastTransitionTime: string };

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class JobController extends QueueController {
  private readonly events: EventRecorder;
  private readonly deadlines = new Map<string, NodeJS.Timeout>();

  constructor(store: ObjectStore) {
    super(store, { name: 'job', component: 'job-controller', baseBackoffMs: 250, maxBackoffMs: 5_000 });
    this.events = new EventRecorder(store, { component: 'job-controller' });
  }

  /** Undefined when the store does not serve Jobs (a bare test store). */
  private get jobType(): ResourceType | undefined {
    return this.store.types.byKind('Job', 'batch/v1');
  }

  protected initialKeys(): string[] {
    const type = this.jobType;
    return type ? this.store.list(type).items.map(keyOf) : [];
  }

  protected onChange(event: StoreEvent): void {
    const kind = event.object.kind;
    if (kind === 'Job') {
      if (event.type === 'DELETED') this.clearDeadline(keyOf(event.object));
      else this.queue.enqueue(keyOf(event.object));
    } else if (kind === 'Pod') {
      const owner = controllerOf(event.object);
      if (owner?.kind === 'Job') this.queue.enqueue(`${event.object.metadata.namespace ?? ''}/${owner.name}`);
    }
  }

  override stop(): void {
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    super.stop();
  }

  private clearDeadline(key: string): void {
    const timer = this.deadlines.get(key);
    if (timer) clearTimeout(timer);
    this.deadlines.delete(key);
  }

  protected async reconcile(key: string): Promise<void> {
    const type = this.jobType;
    if (!type) return;
    const { namespace, name } = splitKey(key);
    const job = this.store.get(type, namespace, name);
    if (!job || isTerminating(job)) return;
    const podType = typeFor(this.store, 'Pod');
    const pods = this.store.list(podType, { namespace }).items.filter((p) => isOwnedBy(p, job));
    const active = pods.filter((p) => !isTerminating(p) && !['Succeeded', 'Failed'].includes(podPhase(p)));
    const succeeded = pods.filter((p) => podPhase(p) === 'Succeeded').length;
    const failed = pods.filter((p) => podPhase(p) === 'Failed').length;
    const s = spec(job);
    const completions = num(s['completions']) ?? 1;
    const parallelism = num(s['parallelism']) ?? 1;
    const backoffLimit = num(s['backoffLimit']) ?? 6;
    const conditions = arr(status(job)['conditions']) as Condition[];
    const finished = conditions.some((c) => c.type === 'Complete' || c.type === 'Failed');
    const startTime = typeof status(job)['startTime'] === 'string' ? String(status(job)['startTime']) : now();

    let outcome: { type: 'Complete' } | { type: 'Failed'; reason: string; message: string } | undefined;
    if (!finished) {
      if (succeeded >= completions) outcome = { type: 'Complete' };
      else if (failed > backoffLimit) outcome = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      else if (this.deadlinePassed(job, startTime)) outcome = { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    if (outcome?.type === 'Failed') {
      for (const pod of active) await this.store.delete(podType, namespace, pod.metadata.name ?? '').catch(() => undefined);
    }
    if (!finished && !outcome) {
      const wanted = Math.min(parallelism, completions - succeeded) - active.length;
      for (let i = 0; i < wanted; i++) await this.createPod(job);
      this.armDeadline(key, job, startTime);
    }
    await this.writeStatus(type, job, { active: outcome ? 0 : active.length, ready: active.filter(isPodReady).length, succeeded, failed, startTime, outcome });
  }

  private deadlinePassed(job: KubeObject, startTime: string): boolean {
    const seconds = num(spec(job)['activeDeadlineSeconds']);
    return seconds !== undefined && Date.now() >= Date.parse(startTime) + seconds * 1000;
  }

  /** Re-reconciles the Job when its activeDeadlineSeconds passes (the one timer: a deadline, not a poll). */
  private armDeadline(key: string, job: KubeObject, startTime: string): void {
    const seconds = num(spec(job)['activeDeadlineSeconds']);
    if (seconds === undefined || this.deadlines.has(key)) return;
    const timer = setTimeout(() => {
      this.deadlines.delete(key);
      this.queue.enqueue(key);
    }, Math.max(0, Date.parse(startTime) + seconds * 1000 - Date.now()));
    timer.unref();
    this.deadlines.set(key, timer);
  }

  private async createPod(job: KubeObject): Promise<void> {
    const podType = typeFor(this.store, 'Pod');
    const template = obj(spec(job)['template']);
    const meta = obj(template['metadata']);
    const jobName = job.metadata.name ?? '';
    const uid = job.metadata.uid ?? '';
    const podName = `${jobName}-${randomSuffix()}`;
    try {
      await this.store.create(podType, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          generateName: `${jobName}-`,
          namespace: job.metadata.namespace,
          labels: {
            ...clone(obj(meta['labels']) as Record<string, string>),
            'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': jobName, 'controller-uid': uid, 'job-name': jobName,
          },
          ...(meta['annotations'] ? { annotations: clone(obj(meta['annotations']) as Record<string, string>) } : {}),
          ownerReferences: [controllerRef(job)],
        },
        spec: clone(obj(template['spec'])),
        status: { phase: 'Pending' },
      });
      void this.events.record({ involved: job, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${podName}` });
    } catch (error) {
      if (error instanceof ApiError && error.code === 409) return;
      const message = error instanceof Error ? error.message : String(error);
      void this.events.record({ involved: job, type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message}` });
      throw error; // retried with backoff by the queue
    }
  }

  private async writeStatus(type: ResourceType, job: KubeObject, s: { active: number; ready: number; succeeded: number; failed: number; startTime: string; outcome: { type: 'Complete' } | { type: 'Failed'; reason: string; message: string } | undefined }): Promise<void> {
    const previous = status(job);
    const conditions = [...(arr(previous['conditions']) as Condition[])];
    const at = now();
    if (s.outcome?.type === 'Complete') {
      conditions.push({ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at });
      conditions.push({ type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at });
    } else if (s.outcome?.type === 'Failed') {
      conditions.push({ type: 'FailureTarget', status: 'True', reason: s.outcome.reason, message: s.outcome.message, lastProbeTime: at, lastTransitionTime: at });
      conditions.push({ type: 'Failed', status: 'True', reason: s.outcome.reason, message: s.outcome.message, lastProbeTime: at, lastTransitionTime: at });
    }
    const next: Record<string, unknown> = {
      ...(conditions.length ? { conditions } : {}),
      startTime: s.startTime,
      ...(s.outcome?.type === 'Complete' ? { completionTime: at } : typeof previous['completionTime'] === 'string' ? { completionTime: previous['completionTime'] } : {}),
      ...(s.active ? { active: s.active } : {}),
      ready: s.ready,
      ...(s.succeeded ? { succeeded: s.succeeded } : {}),
      ...(s.failed ? { failed: s.failed } : {}),
      terminating: 0,
      uncountedTerminatedPods: {},
    };
    if (deepEqual(next, previous)) return;
    await this.store.mutate(type, job.metadata.namespace, job.metadata.name ?? '', (o) => {
      o['status'] = next;
    }, { subresource: 'status' });
    if (s.outcome?.type === 'Complete') void this.events.record({ involved: job, type: 'Normal', reason: 'Completed', message: 'Job completed' });
    if (s.outcome?.type === 'Failed') void this.events.record({ involved: job, type: 'Warning', reason: s.outcome.reason, message: s.outcome.message });
  }
}
