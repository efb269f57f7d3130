// The command lines kind-up and kind-down compose, checked without docker, kind, kubectl, helm or osm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { kindClusterConfig, kindDown, kindUp } from './kind-env.mjs';
import { recordingRunner } from './runner.mjs';
import { scriptMain } from './script-main.mjs';
import { versions } from './versions.mjs';

/** @type {import('./runner.mjs').Answer} */
const dockerUp = ['docker info --format $\'{{.ServerVersion}}\'', { stdout: '24.0.7\n' }];

describe('kind-up', () => {
  it('from scratch: creates the cluster, installs ingress-nginx and OSM, and adds ingress-nginx without injection', async () => {
    const r = recordingRunner([dockerUp]);
    const { context } = await kindUp(r);
    assert.equal(context, 'kind-mesh-conformance');
    assert.deepEqual(r.commands, [
      `kind create cluster --name mesh-conformance --image ${versions.kindNodeImage} --config - --wait 2m`,
      `helm --kube-context kind-mesh-conformance upgrade --install ingress-nginx ingress-nginx --repo https://kubernetes.github.io/ingress-nginx --version ${versions.ingressNginxChart} --namespace ingress-nginx --create-namespace --set controller.hostPort.enabled=true --set-string controller.nodeSelector.ingress-ready=true --set controller.service.type=NodePort --set controller.publishService.enabled=false --set controller.extraArgs.publish-status-address=localhost --wait --timeout 5m`,
      'kubectl config use-context kind-mesh-conformance',
      'osm install --mesh-name osm --osm-namespace osm-system --set=osm.deployPrometheus=true --set=osm.enablePermissiveTrafficPolicy=true --set=osm.featureFlags.enableIngressBackendPolicy=true --timeout 5m --verbose',
      'kubectl --context kind-mesh-conformance rollout status deployment/osm-controller --namespace osm-system --timeout 5m',
      'kubectl --context kind-mesh-conformance rollout status deployment/osm-injector --namespace osm-system --timeout 5m',
      'kubectl --context kind-mesh-conformance rollout status deployment/osm-bootstrap --namespace osm-system --timeout 5m',
      'osm namespace add ingress-nginx --mesh-name osm --disable-sidecar-injection',
    ]);
    assert.match(r.said.at(-1) ?? '', /^next: npx mesh-conformance run --target kind --context kind-mesh-conformance$/);
  });

  it('passes a cluster config with an ingress-ready worker mapping host port 80 on stdin', async () => {
    const r = recordingRunner([dockerUp]);
    await kindUp(r);
    const create = r.calls.find((c) => c.line.startsWith('kind create cluster'));
    /** @type {{ kind: string, nodes: { role: string, labels?: object, extraPortMappings?: object[] }[] }} */
    const config = parse(create?.input ?? '');
    assert.equal(config.kind, 'Cluster');
    assert.deepEqual(config.nodes.map((n) => n.role), ['control-plane', 'worker']);
    assert.deepEqual(config.nodes[1]?.labels, { 'ingress-ready': 'true' });
    assert.deepEqual(config.nodes[1]?.extraPortMappings, [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(parse(kindClusterConfig({ hostPort: 8080 })).nodes[1].extraPortMappings[0].hostPort, 8080);
  });

  it('is idempotent: keeps an existing cluster and OSM install (helm converges the release)', async () => {
    const r = recordingRunner([dockerUp, ['kind get clusters', { stdout: 'other\nmesh-conformance\n' }],
      [/get deployment osm-controller/, { stdout: 'deployment.apps/osm-controller\n' }]]);
    await kindUp(r);
    assert.ok(!r.commands.some((c) => c.startsWith('kind create')), 'no second cluster');
    assert.ok(!r.commands.some((c) => c.startsWith('osm install')), 'no second OSM install');
    assert.ok(r.commands.some((c) => c.startsWith('helm --kube-context kind-mesh-conformance upgrade --install ingress-nginx')));
    assert.ok(r.commands.includes('osm namespace add ingress-nginx --mesh-name osm --disable-sidecar-injection'));
    assert.ok(r.said.some((l) => l.includes('exists: keeping it')));
  });

  it('tells the next command an --ingress-address when the host port is not 80', async () => {
    const r = recordingRunner([dockerUp]);
    await kindUp(r, { name: 'ci', hostPort: 8080 });
    assert.equal(r.said.at(-1), 'next: npx mesh-conformance run --target kind --context kind-ci --ingress-address localhost:8080');
  });

  it('stops with a hint when the Docker engine is not running', async () => {
    await assert.rejects(kindUp(recordingRunner([])), /the Docker engine is not running \(`docker info` failed\): start Docker/);
  });
});

describe('kind-down', () => {
  it('deletes the cluster when it exists, and does nothing when it does not', async () => {
    const present = recordingRunner([['kind get clusters', { stdout: 'mesh-conformance\n' }]]);
    assert.deepEqual(await kindDown(present), { deleted: true });
    assert.deepEqual(present.commands, ['kind delete cluster --name mesh-conformance']);
    const absent = recordingRunner([['kind get clusters', { stdout: 'other\n' }]]);
    assert.deepEqual(await kindDown(absent), { deleted: false });
    assert.deepEqual(absent.commands, []);
  });
});

describe('script frame', () => {
  const sink = () => {
    let text = '';
    return { write: (/** @type {string} */ s) => { text += s; return true; }, get text() { return text; } };
  };

  it('names each missing tool with how to install it, exit 2, and runs nothing', async () => {
    const err = sink();
    let ran = false;
    const code = await scriptMain({ name: 'kind-up', usage: 'u', options: {}, tools: ['docker', 'kind', 'kubectl', 'helm', 'osm'], argv: [], out: sink(), err,
      has: async (t) => t === 'docker' || t === 'kubectl', main: async () => { ran = true; } });
    assert.equal(code, 2);
    assert.equal(ran, false);
    assert.match(err.text, /^kind-up: 3 tools missing:\n {2}- kind not found on PATH: go install sigs\.k8s\.io\/kind@v0\.20\.0/);
    assert.match(err.text, /- helm not found on PATH: curl -fsSL https:\/\/get\.helm\.sh\/helm-v3\.12\.3/);
    assert.match(err.text, /- osm not found on PATH: curl -fsSL https:\/\/github\.com\/openservicemesh\/osm\/releases\/download\/v1\.2\.4\//);
  });

  it('rejects unknown arguments with the usage (exit 2); --dry-run needs no tools and prints every command', async () => {
    const err = sink();
    assert.equal(await scriptMain({ name: 'kind-down', usage: 'node scripts/kind-down.mjs', options: {}, tools: [], argv: ['--nme', 'x'], err, main: async () => undefined }), 2);
    assert.equal(err.text, 'kind-down: unknown argument --nme; usage: node scripts/kind-down.mjs\n');
    const out = sink();
    const code = await scriptMain({ name: 'kind-up', usage: 'u', options: {}, tools: ['kind'], argv: ['--dry-run'], out, err: sink(), has: async () => false, main: (r) => kindUp(r) });
    assert.equal(code, 0);
    assert.match(out.text, /^\+ kind create cluster --name mesh-conformance/m);
    assert.match(out.text, /^ {4}\| {7}ingress-ready: "true"$/m);
    assert.match(out.text, /^\+ osm namespace add ingress-nginx --mesh-name osm --disable-sidecar-injection$/m);
  });
});
