// A Pod's spec is immutable but for what ValidatePodUpdate allows (images, activeDeadlineSeconds, added
// tolerations); a Deployment's selector is immutable. Messages as kube-apiserver words them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ApiException } from '@kubernetes/client-node';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

let cluster: TestCluster;
let core: CoreV1Api;
let apps: AppsV1Api;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const forbiddenPrefix = 'Pod "p1" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

before(async () => {
  cluster = await startTestCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }], tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] } },
  });
});
after(async () => {
  await cluster.close();
});

async function status(call: Promise<unknown>): Promise<{ code: number; message: string; causes: { reason: string; field: string }[] }> {
  try {
    await call;
  } catch (err) {
    const e = err as ApiException<string>;
    const body = JSON.parse(e.body) as { message: string; details?: { causes?: { reason: string; field: string }[] } };
    return { code: e.code, message: body.message, causes: body.details?.causes ?? [] };
  }
  throw new Error('the update succeeded');
}

void test('changing restartPolicy is Forbidden, with upstream\'s list of what may change and a diff of the spec', async () => {
  const r = await status(core.patchNamespacedPod({ namespace: 'default', name: 'p1', body: { spec: { restartPolicy: 'Never' } } }, merge));
  assert.equal(r.code, 422);
  assert.ok(r.message.startsWith(forbiddenPrefix), r.message);
  assert.match(r.message, /^- "RestartPolicy": "Always",\n\+ "RestartPolicy": "Never",$/m);
  assert.deepEqual(r.causes.map((c) => [c.reason, c.field]), [['FieldValueForbidden', 'spec']]);
  // A full replace with a changed command is refused the same way.
  const pod = await core.readNamespacedPod({ namespace: 'default', name: 'p1' });
  pod.spec!.containers[0]!.command = ['sleep', '1'];
  assert.ok((await status(core.replaceNamespacedPod({ namespace: 'default', name: 'p1', body: pod }))).message.startsWith(forbiddenPrefix));
});

void test('images, activeDeadlineSeconds (set, then only lowered) and added tolerations may change', async () => {
  const updated = await core.patchNamespacedPod({
    namespace: 'default', name: 'p1',
    body: { spec: { containers: [{ name: 'c', image: 'busybox:2' }], activeDeadlineSeconds: 30, tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { key: 'x', operator: 'Exists' }] } },
  }, strategic);
  assert.equal(updated.spec?.containers[0]?.image, 'busybox:2');
  assert.equal(updated.spec?.tolerations?.length, 2);
  const raised = await status(core.patchNamespacedPod({ namespace: 'default', name: 'p1', body: { spec: { activeDeadlineSeconds: 60 } } }, merge));
  assert.equal(raised.message, 'Pod "p1" is invalid: spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value');
  const removed = await status(core.patchNamespacedPod({ namespace: 'default', name: 'p1', body: [{ op: 'remove', path: '/spec/tolerations/0' }] }));
  assert.equal(removed.message, 'Pod "p1" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds');
  const added = await status(core.patchNamespacedPod({ namespace: 'default', name: 'p1', body: { spec: { containers: [{ name: 'd', image: 'x' }] } } }, strategic));
  assert.equal(added.message, 'Pod "p1" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers');
});

void test('metadata and status stay writable; the binding subresource sets nodeName once', async () => {
  const labelled = await core.patchNamespacedPod({ namespace: 'default', name: 'p1', body: { metadata: { labels: { tier: 'web' } } } }, merge);
  assert.equal(labelled.metadata?.labels?.tier, 'web');
  await core.createNamespacedPodBinding({ namespace: 'default', name: 'p1', body: { metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } } });
  assert.equal((await core.readNamespacedPod({ namespace: 'default', name: 'p1' })).spec?.nodeName, 'n1');
  const again = await status(core.createNamespacedPodBinding({ namespace: 'default', name: 'p1', body: { metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n2' } } }));
  assert.equal(again.code, 409);
  assert.equal(again.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "n1"');
});

void test('a Deployment\'s selector is immutable', async () => {
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', v: '2' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
  });
  const r = await status(apps.patchNamespacedDeployment({ namespace: 'default', name: 'web', body: { spec: { selector: { matchLabels: { app: 'web', v: '2' } } } } }, merge));
  assert.equal(r.code, 422);
  assert.equal(r.message, 'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable');
});

void test('the QoS class is computed at creation from the admitted spec, and a status write that changes it is refused', async () => {
  const created = await core.createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'qos' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '64Mi' } } }] } },
  });
  assert.equal(created.status?.qosClass, 'Burstable');
  assert.equal((await core.readNamespacedPod({ namespace: 'default', name: 'p1' })).status?.qosClass, 'BestEffort');
  // Upstream's words, as kube-apiserver 1.35 answered the simulator's kubelet when it reported BestEffort.
  const r = await status(core.patchNamespacedPodStatus({ namespace: 'default', name: 'qos', body: { status: { qosClass: 'BestEffort' } } }, merge));
  assert.equal(r.code, 422);
  assert.equal(r.message, 'Pod "qos" is invalid: status.qosClass: Invalid value: "BestEffort": field is immutable');
  await core.deleteNamespacedPod({ namespace: 'default', name: 'qos', gracePeriodSeconds: 0 });
});

void test('a status write without a QoS class keeps the stored one (PrepareForUpdate backfills it)', async () => {
  const updated = await core.replaceNamespacedPodStatus({ namespace: 'default', name: 'p1', body: { metadata: { name: 'p1' }, status: { phase: 'Pending' } } });
  assert.equal(updated.status?.qosClass, 'BestEffort');
});
