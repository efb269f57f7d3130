// kubectl 1.32 against `sim --mesh istio`: the Istio httpbin sample and its Gateway API gateway applied client-side and
// server-side, `kubectl get pods` READY 2/2 with a native sidecar, `kubectl wait --for=condition=programmed gtw` and
// `kubectl get gtw` with CLASS / ADDRESS / PROGRAMMED.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startSimulator } from '../simulator.ts';
import type { Simulator } from '../simulator.ts';

const run = promisify(execFile);
const pinned = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const kubectlBinary = process.env.KUBECTL ?? (existsSync(pinned) ? pinned : 'kubectl');

let sim: Simulator;
let dir: string;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlBinary, ['--kubeconfig', sim.kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 });
  return stdout;
}

function manifest(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function rows(output: string): string[][] {
  return output.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

/** samples/httpbin/httpbin.yaml (istio.md §9). */
const httpbinYaml = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: httpbin
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  labels:
    app: httpbin
    service: httpbin
spec:
  ports:
  - name: http
    port: 8000
    targetPort: 8080
  selector:
    app: httpbin
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
spec:
  replicas: 1
  selector:
    matchLabels:
      app: httpbin
      version: v1
  template:
    metadata:
      labels:
        app: httpbin
        version: v1
    spec:
      serviceAccountName: httpbin
      containers:
      - image: docker.io/mccutchen/go-httpbin:v2.15.0
        imagePullPolicy: IfNotPresent
        name: httpbin
        ports:
        - containerPort: 8080
`;

/** samples/httpbin/gateway-api/httpbin-gateway.yaml (istio.md §9). */
const gatewayYaml = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: httpbin-gateway
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: httpbin
spec:
  parentRefs:
  - name: httpbin-gateway
  rules:
  - backendRefs:
    - name: httpbin
      port: 8000
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubectl-istio-'));
  sim = await startSimulator({ mesh: 'istio', flavor: 'kind', kubeconfig: join(dir, 'kubeconfig'), port: 0, readyTimeoutMs: 60_000 });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

void test('kubectl apply (client-side) of the httpbin sample into a revision-labelled namespace: READY 2/2 with a native istio-proxy', async () => {
  await kubectl('create', 'namespace', 'httpbin');
  await kubectl('label', 'namespace', 'httpbin', 'istio.io/rev=asm-1-30');
  const applied = await kubectl('apply', '-n', 'httpbin', '-f', manifest('httpbin.yaml', httpbinYaml));
  assert.match(applied, /serviceaccount\/httpbin created/);
  assert.match(applied, /deployment.apps\/httpbin created/);
  await kubectl('wait', '-n', 'httpbin', '--for=condition=Ready', 'pod', '-l', 'app=httpbin', '--timeout=30s');
  const pods = rows(await kubectl('get', 'pods', '-n', 'httpbin'));
  assert.deepEqual(pods[0]?.slice(0, 3), ['NAME', 'READY', 'STATUS']);
  assert.deepEqual(pods[1]?.slice(1, 3), ['2/2', 'Running']);
  assert.equal(await kubectl('get', 'pods', '-n', 'httpbin', '-o', 'jsonpath={.items[0].spec.initContainers[1].name}:{.items[0].spec.initContainers[1].restartPolicy}'), 'istio-proxy:Always');
  // A second apply is a no-op three-way merge.
  assert.match(await kubectl('apply', '-n', 'httpbin', '-f', join(dir, 'httpbin.yaml')), /deployment.apps\/httpbin unchanged/);
});

void test('kubectl apply --server-side of the Gateway API gateway; wait programmed; get gtw shows CLASS, ADDRESS, PROGRAMMED', async () => {
  const applied = await kubectl('apply', '--server-side', '-n', 'httpbin', '-f', manifest('gateway.yaml', gatewayYaml));
  assert.match(applied, /gateway.gateway.networking.k8s.io\/httpbin-gateway serverside-applied/);
  assert.match(applied, /httproute.gateway.networking.k8s.io\/httpbin serverside-applied/);
  await kubectl('wait', '-n', 'httpbin', '--for=condition=programmed', 'gtw', 'httpbin-gateway', '--timeout=30s');
  const gtw = rows(await kubectl('get', 'gtw', '-n', 'httpbin'));
  assert.deepEqual(gtw[0], ['NAME', 'CLASS', 'ADDRESS', 'PROGRAMMED', 'AGE']);
  assert.deepEqual(gtw[1]?.[0], 'httpbin-gateway');
  assert.equal(gtw[1]?.[1], 'istio');
  assert.match(gtw[1]?.[2] ?? '', /^127\.\d+\.\d+\.\d+$/);
  assert.equal(gtw[1]?.[3], 'True');
  const gc = rows(await kubectl('get', 'gatewayclass'));
  assert.deepEqual(gc[0], ['NAME', 'CONTROLLER', 'ACCEPTED', 'AGE']);
  assert.deepEqual(gc.slice(1).map((r) => r.slice(0, 3)), [['istio', 'istio.io/gateway-controller', 'True'], ['istio-remote', 'istio.io/unmanaged-gateway', 'True']]);
  const svc = rows(await kubectl('get', 'svc', '-n', 'httpbin', 'httpbin-gateway-istio'));
  assert.equal(svc[1]?.[1], 'LoadBalancer');
  assert.match(svc[1]?.[4] ?? '', /^15021:\d+\/TCP,80:\d+\/TCP$/);
  // Client-side apply of the same objects on top of the server-side one works too.
  assert.match(await kubectl('apply', '-n', 'httpbin', '-f', join(dir, 'gateway.yaml')), /httpbin-gateway (configured|unchanged)/);
});

void test('the Istio API resources: kubectl apply of an AuthorizationPolicy, get ap / vs columns', async () => {
  const ap = manifest('ap.yaml', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\n  namespace: httpbin\nspec: {}\n');
  assert.match(await kubectl('apply', '-f', ap), /authorizationpolicy.security.istio.io\/allow-nothing created/);
  assert.deepEqual(rows(await kubectl('get', 'authorizationpolicies', '-n', 'httpbin'))[0], ['NAME', 'ACTION', 'AGE']);
  assert.match(await kubectl('get', 'mutatingwebhookconfigurations', '-o', 'name'), /istio-sidecar-injector-asm-1-30/);
});
