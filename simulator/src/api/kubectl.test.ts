// kubectl against the simulated API server through a written kubeconfig: what the harness and humans run. Every
// kubectl version on the machine (1.27–1.33) follows the guide against a kind-flavor simulator; the newest pinned one
// also checks the API semantics a user meets (validation, conflicts, immutability, namespace deletion).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../simulator.ts';
import type { Simulator } from '../simulator.ts';
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

void test('kubectl apply of an invalid IngressBackend: the schema\'s 422 and the strict decoder\'s unknown field', async () => {
  const crd = manifest('crd-osm.yaml', crdYaml.replace(/ {12}x-kubernetes-preserve-unknown-fields: true\n( {10}status:)/, `            required: [backends, sources]
            properties:
              backends:
                type: array
                items:
                  type: object
                  required: [name, port]
                  properties:
                    name: {type: string}
                    port:
                      type: object
                      required: [number, protocol]
                      properties:
                        number: {type: integer, minimum: 1, maximum: 65535}
                        protocol: {type: string}
              sources:
                type: array
                items:
                  type: object
                  required: [kind, name]
                  properties:
                    kind: {type: string}
                    name: {type: string}
                    namespace: {type: string}
$1`));
  await kubectl('apply', '-f', crd);
  const noSources = await kubectlFails('apply', '-f', manifest('ib-nosources.yaml', ingressBackendYaml.replace('name: httpbin\n  namespace', 'name: nosrc\n  namespace').replace(/ {2}sources:[\s\S]*$/, '')));
  assert.match(noSources, /The IngressBackend "nosrc" is invalid: spec.sources: Required value/);
  const portZero = await kubectlFails('apply', '-f', manifest('ib-port0.yaml', ingressBackendYaml.replace('name: httpbin\n  namespace', 'name: port0\n  namespace').replace('number: 14001', 'number: 0')));
  assert.match(portZero, /spec.backends\[0\].port.number: Invalid value: 0: spec.backends\[0\].port.number in body should be greater than or equal to 1/);
  const unknown = await kubectlFails('apply', '-f', manifest('ib-foo.yaml', ingressBackendYaml.replace('name: httpbin\n  namespace', 'name: foo\n  namespace').replace('spec:\n', 'spec:\n  foo: bar\n')));
  assert.match(unknown, /strict decoding error: unknown field "spec.foo"/);
});

void test('kubectl: a server-side apply conflict after kubectl scale names the manager; --force-conflicts takes the field', async () => {
  const app = manifest('conflict.yaml', appYaml.split('---')[0]!.replace('name: httpbin', 'name: conflicted'));
  await kubectl('apply', '--server-side', '-f', app);
  await kubectl('scale', 'deploy', 'conflicted', '--replicas=3');
  const conflict = await kubectlFails('apply', '--server-side', '-f', app);
  // kubectl scale sends no fieldManager: the manager is the User-Agent's product, the binary's name (kubectl.1.32 here).
  assert.match(conflict, /Apply failed with 1 conflict: conflict with "kubectl[.\d]*" with subresource "scale" using apps\/v1: \.spec\.replicas/);
  await kubectl('apply', '--server-side', '--force-conflicts', '-f', app);
  assert.equal(await kubectl('get', 'deploy', 'conflicted', '-o', 'jsonpath={.spec.replicas}'), '1');
});

void test('kubectl: a pod spec change other than the image is Forbidden; the image may change', async () => {
  await kubectl('run', 'immutable', '--image=kennethreitz/httpbin');
  const refused = await kubectlFails('patch', 'pod', 'immutable', '--type=merge', '-p', '{"spec":{"restartPolicy":"Never"}}');
  assert.match(refused, /spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  await kubectl('set', 'image', 'pod/immutable', 'immutable=kennethreitz/httpbin:latest');
});

void test('kubectl: a Terminating namespace reports the namespace controller\'s conditions while a finalizer holds content', async () => {
  await kubectl('create', 'namespace', 'held');
  await kubectl('create', 'configmap', 'c1', '-n', 'held');
  await kubectl('patch', 'configmap', 'c1', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
  await kubectl('delete', 'namespace', 'held', '--wait=false');
  let conditions = '';
  for (let i = 0; i < 50 && !conditions.includes('NamespaceFinalizersRemaining=True'); i++) {
    conditions = await kubectl('get', 'namespace', 'held', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status} {end}');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(conditions, /NamespaceContentRemaining=True NamespaceFinalizersRemaining=True/);
  await kubectl('patch', 'configmap', 'c1', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
  await kubectl('wait', '--for=delete', 'namespace/held', '--timeout=20s');
});

// ---- the guide with every kubectl on the machine ----

const sdkBin = '/usr/lib/google-cloud-sdk/bin';
const examples = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));

/** `MESH_SIM_CONTROL_PLANE=upstream` runs the matrix on the real control plane instead (`npm run upstream:build` first). */
const matrixControlPlane = process.env.MESH_SIM_CONTROL_PLANE === 'upstream' ? 'upstream' : 'embedded';

void describe(`kubectl 1.27–1.33 follow the guide (docs/examples) against the kind flavor (${matrixControlPlane} control plane)`, () => {
  let sim: Simulator | undefined;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-kubectl-matrix-'));
    sim = await startSimulator({ flavor: 'kind', controlPlane: matrixControlPlane, kubeconfig: join(dir, 'kubeconfig'), readyTimeoutMs: 60_000 });
  });
  after(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const minor of [27, 28, 29, 30, 31, 32, 33]) {
    const binary = join(sdkBin, `kubectl.1.${minor}`);
    void test(`kubectl 1.${minor}: apply (client- and server-side), diff, explain, get, wait (skipped where kubectl 1.${minor} is not installed beside kubectl in the google-cloud-sdk folder)`, async (t) => {
      if (!existsSync(binary)) {
        t.skip(`kubectl 1.${minor} is not installed (no ${binary})`);
        return;
      }
      const run1 = async (...args: string[]): Promise<string> => {
        const { stdout } = await run(binary, ['--kubeconfig', sim!.kubeconfig, '--cache-dir', join(dir, `cache-${minor}`), ...args], { timeout: 60_000 });
        return stdout;
      };
      const ns = `httpbin-${minor}`;
      const ingress = join(dir, `ingress-${minor}.yaml`);
      writeFileSync(ingress, readFileSync(join(examples, 'ingress-nginx.yaml'), 'utf8').replaceAll('namespace: httpbin', `namespace: ${ns}`));
      await run1('create', 'namespace', ns);
      await run1('label', 'namespace', ns, 'openservicemesh.io/monitored-by=osm');
      await run1('annotate', 'namespace', ns, 'openservicemesh.io/sidecar-injection=enabled');
      const applied = await run1('apply', '-n', ns, '-f', join(examples, 'httpbin.yaml'));
      assert.match(applied, /serviceaccount\/httpbin created\nservice\/httpbin created\ndeployment.apps\/httpbin created/);
      assert.match(await run1('apply', '-f', ingress), /ingress.networking.k8s.io\/httpbin created\ningressbackend.policy.openservicemesh.io\/httpbin created/);
      assert.match(await run1('apply', '--server-side', '-n', ns, '-f', join(examples, 'httpbin.yaml')), /deployment.apps\/httpbin serverside-applied/);
      assert.match(await run1('apply', '--server-side', '-f', ingress), /ingressbackend.policy.openservicemesh.io\/httpbin serverside-applied/);
      // No difference between the manifests and the cluster: exit status 0, empty output.
      assert.equal(await run1('diff', '-n', ns, '-f', join(examples, 'httpbin.yaml')), '');
      assert.equal(await run1('diff', '-f', ingress), '');
      assert.match(await run1('explain', 'ingressbackend.spec.backends.port'), /number\s+<integer> -required-/);
      assert.match(await run1('explain', 'deployment.spec.template.spec.containers.image'), /FIELD: +image <string>|FIELD:\s+image/);
      await run1('wait', '-n', ns, '--for=condition=Available', 'deployment/httpbin', '--timeout=60s');
      await run1('wait', '-n', ns, '--for=jsonpath={.status.currentStatus}=committed', 'ingressbackend/httpbin', '--timeout=60s');
      const pods = rows(await run1('get', 'pods', '-n', ns));
      assert.deepEqual(pods[1]!.slice(1, 3), ['2/2', 'Running']);
      assert.deepEqual(rows(await run1('get', 'ingressbackend', '-n', ns)), [['NAME', 'STATUS'], ['httpbin', 'committed']]);
    });
  }
});
