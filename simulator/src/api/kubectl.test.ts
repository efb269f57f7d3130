// kubectl against the simulated API server through a written kubeconfig: what the harness and humans run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

const run = promisify(execFile);
// /usr/bin/kubectl is gcloud's dispatcher, which picks the kubectl matching the server's minor version;
// name 1.32 explicitly when it is installed so the newest client is what gets verified.
const pinned = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const kubectlBinary = process.env.KUBECTL ?? (existsSync(pinned) ? pinned : 'kubectl');

let cluster: TestCluster;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlBinary, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(cluster.dir, 'cache'), ...args], { timeout: 20_000 });
  return stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded, expected a failure`);
}

function manifest(name: string, text: string): string {
  const file = join(cluster.dir, name);
  writeFileSync(file, text);
  return file;
}

/** Splits `kubectl get` output into rows of whitespace-separated cells. */
function rows(output: string): string[][] {
  return output.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

const crdYaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ingressbackends.policy.openservicemesh.io
spec:
  group: policy.openservicemesh.io
  scope: Namespaced
  names:
    kind: IngressBackend
    listKind: IngressBackendList
    shortNames: [ingressbackend]
    singular: ingressbackend
    plural: ingressbackends
  conversion:
    strategy: None
  versions:
  - name: v1alpha1
    served: true
    storage: true
    additionalPrinterColumns:
    - description: Current status of the IngressBackend policy.
      jsonPath: .status.currentStatus
      name: Status
      type: string
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
`;

const appYaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: httpbin}
  template:
    metadata:
      labels: {app: httpbin}
    spec:
      containers:
      - name: httpbin
        image: kennethreitz/httpbin
        ports:
        - containerPort: 14001
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: default
spec:
  selector: {app: httpbin}
  ports:
  - name: http
    port: 14001
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: httpbin
  namespace: default
  annotations:
    kubernetes.io/ingress.class: nginx
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: httpbin, port: {number: 14001}}
`;

const ingressBackendYaml = `apiVersion: policy.openservicemesh.io/v1alpha1
kind: IngressBackend
metadata:
  name: httpbin
  namespace: default
spec:
  backends:
  - name: httpbin
    port: {number: 14001, protocol: http}
  sources:
  - kind: Service
    namespace: ingress-nginx
    name: ingress-nginx-controller
`;

before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster.close();
});

void test('kubectl get ns (also through the /usr/bin dispatcher)', async () => {
  const out = rows(await kubectl('get', 'ns'));
  assert.deepEqual(out[0], ['NAME', 'STATUS', 'AGE']);
  assert.deepEqual(out.slice(1).map((r) => r.slice(0, 2)), [['default', 'Active'], ['kube-system', 'Active']]);
  if (existsSync('/usr/bin/kubectl')) {
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(cluster.dir, 'cache'), 'get', 'namespaces', '-o', 'name'], { timeout: 20_000 });
    assert.equal(stdout, 'namespace/default\nnamespace/kube-system\n');
  }
});

void test('kubectl apply: Deployment, Service, Ingress, the IngressBackend CRD and an IngressBackend', async () => {
  assert.match(await kubectl('apply', '-f', manifest('crd.yaml', crdYaml)), /customresourcedefinition.apiextensions.k8s.io\/ingressbackends.policy.openservicemesh.io created/);
  const applied = await kubectl('apply', '-f', manifest('app.yaml', appYaml));
  assert.match(applied, /deployment.apps\/httpbin created/);
  assert.match(applied, /service\/httpbin created/);
  assert.match(applied, /ingress.networking.k8s.io\/httpbin created/);
  assert.match(await kubectl('apply', '-f', manifest('ib.yaml', ingressBackendYaml)), /ingressbackend.policy.openservicemesh.io\/httpbin created/);
  // A second apply is a no-op three-way merge.
  assert.match(await kubectl('apply', '-f', join(cluster.dir, 'app.yaml')), /deployment.apps\/httpbin unchanged/);

  const svc = rows(await kubectl('get', 'svc', 'httpbin'));
  assert.deepEqual(svc[0], ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  assert.deepEqual([svc[1]![1], svc[1]![3], svc[1]![4]], ['ClusterIP', '<none>', '14001/TCP']);
  const ing = rows(await kubectl('get', 'ingress'));
  assert.deepEqual(ing[0], ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
  assert.deepEqual(ing[1]!.slice(0, 3), ['httpbin', '<none>', '*']);
  const deploy = rows(await kubectl('get', 'deploy'));
  assert.deepEqual(deploy[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(deploy[1]!.slice(0, 2), ['httpbin', '0/1']);

  const status = cluster.type('policy.openservicemesh.io', 'v1alpha1', 'ingressbackends');
  await cluster.store.mutate(status, 'default', 'httpbin', (o) => { o.status = { currentStatus: 'committed', reason: 'successfully committed by the system' }; }, { subresource: 'status' });
  const ib = rows(await kubectl('get', 'ingressbackend'));
  assert.deepEqual(ib, [['NAME', 'STATUS'], ['httpbin', 'committed']]);
});

void test('kubectl apply --server-side, label, annotate, patch, scale', async () => {
  await kubectl('apply', '--server-side', '--field-manager', 'conformance', '-f', join(cluster.dir, 'app.yaml'));
  await kubectl('label', 'deploy', 'httpbin', 'tier=web');
  await kubectl('annotate', 'svc', 'httpbin', 'example.com/note=hello');
  assert.equal(await kubectl('get', 'deploy', '-l', 'tier=web', '-o', 'name'), 'deployment.apps/httpbin\n');
  assert.equal(await kubectl('get', 'svc', 'httpbin', '-o', 'jsonpath={.metadata.annotations.example\\.com/note}'), 'hello');
  await kubectl('patch', 'deploy', 'httpbin', '--type=merge', '-p', '{"spec":{"replicas":2}}');
  await kubectl('scale', 'deploy', 'httpbin', '--replicas=3');
  assert.equal(await kubectl('get', 'deploy', 'httpbin', '-o', 'jsonpath={.spec.replicas}'), '3');
  await kubectl('label', 'deploy', 'httpbin', 'tier-');
  assert.equal(await kubectl('get', 'deploy', '-l', 'tier=web', '-o', 'name'), '');
});

void test('kubectl describe pod lists its events; kubectl logs', async () => {
  await kubectl('run', 'p1', '--image=kennethreitz/httpbin');
  const pod = cluster.store.get(cluster.type('', 'v1', 'pods'), 'default', 'p1')!;
  await cluster.store.create(cluster.type('', 'v1', 'events'), {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'p1.1', namespace: 'default' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p1', namespace: 'default', uid: pod.metadata.uid },
    reason: 'Scheduled', message: 'Successfully assigned default/p1 to mesh-conformance-worker', type: 'Normal', source: { component: 'default-scheduler' }, count: 1,
    firstTimestamp: pod.metadata.creationTimestamp, lastTimestamp: pod.metadata.creationTimestamp,
  });
  const described = await kubectl('describe', 'pod', 'p1');
  assert.match(described, /Name:\s+p1/);
  assert.match(described, /Normal\s+Scheduled\s+.*Successfully assigned default\/p1/);
  const pods = rows(await kubectl('get', 'pods'));
  assert.deepEqual(pods[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.deepEqual(pods[1]!.slice(0, 4), ['p1', '0/1', 'Pending', '0']);
  assert.match(await kubectlFails('logs', 'p1'), /waiting to start/);
});

void test('kubectl create namespace (protobuf body), delete namespace and contents', async () => {
  await kubectl('create', 'namespace', 'doomed');
  await kubectl('create', 'configmap', 'c1', '-n', 'doomed', '--from-literal=a=b');
  assert.match(await kubectl('delete', 'namespace', 'doomed'), /namespace "doomed" deleted/);
  assert.match(await kubectlFails('get', 'namespace', 'doomed'), /namespaces "doomed" not found/);
  assert.match(await kubectl('delete', 'deploy', 'httpbin'), /deployment.apps "httpbin" deleted/);
  assert.match(await kubectlFails('get', 'deploy', 'httpbin'), /NotFound|not found/);
});

void test('kubectl auth can-i (SelfSubjectAccessReview, protobuf body) answers yes', async () => {
  assert.equal(await kubectl('auth', 'can-i', 'create', 'pods'), 'yes\n');
});

void test('a denying admission plugin fails kubectl apply with the webhook message', async () => {
  cluster.store.addAdmissionPlugin({
    name: 'osm-validator.k8s.io',
    validate: (req) => (req.resource.kind === 'IngressBackend' && req.operation === 'CREATE' ? 'Invalid protocol ftp' : undefined),
  });
  const stderr = await kubectlFails('apply', '-f', manifest('ib2.yaml', ingressBackendYaml.replace('name: httpbin\n  namespace', 'name: other\n  namespace')));
  assert.match(stderr, /admission webhook "osm-validator.k8s.io" denied the request: Invalid protocol ftp/);
});
