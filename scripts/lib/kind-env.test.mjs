// The command lines kind-up and kind-down compose, checked without docker, kind, kubectl, helm or osm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { istioHelmArgs, kindClusterConfig, kindDown, kindUp, kindUpToolsFor, metallbAddressRange, metallbPoolManifest } from './kind-env.mjs';
import { recordingRunner } from './runner.mjs';
import { scriptMain } from './script-main.mjs';
import { istioVersions, shellAssignments, versions, versionsFor } from './versions.mjs';

/** Collects what a script writes. */
const sink = () => {
  let text = '';
  return { write: (/** @type {string} */ s) => { text += s; return true; }, get text() { return text; } };
};

/** @type {import('./runner.mjs').Answer} */
const dockerUp = ['docker info --format $\'{{.ServerVersion}}\'', { stdout: '24.0.7\n' }];

describe('kind-up', () => {
  it('from scratch: creates the cluster, installs ingress-nginx and OSM, and adds ingress-nginx without injection', async () => {
    const r = recordingRunner([dockerUp]);
    const { context } = await kindUp(r);
    assert.equal(context, 'kind-mesh-conformance');
    assert.deepEqual(r.commands, [
      `kind create cluster --name mesh-conformance --image ${versions.kindNodeImage} --config - --wait 2m`,
      `helm --kube-context kind-mesh-conformance upgrade --install ingress-nginx ingress-nginx --repo https://kubernetes.github.io/ingress-nginx --version ${versions.ingressNginxChart} --namespace ingress-nginx --create-namespace --set controller.hostPort.enabled=true --set-string controller.nodeSelector.ingress-ready=true --set controller.service.type=NodePort --set controller.publishService.enabled=false --set controller.extraArgs.publish-status-address=localhost --set controller.extraArgs.status-update-interval=5 --wait --timeout 5m`,
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

describe('kind-up --mesh istio', () => {
  const ctx = '--context kind-mesh-conformance';
  /** @type {import('./runner.mjs').Answer} */
  const kindNetwork = [/^docker network inspect kind /, { stdout: '172.18.0.0/16 fc00:f853:ccd:e793::/64 \n' }];
  const istioCommands = [
    `kubectl ${ctx} apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml`,
    `kubectl ${ctx} apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml`,
    `kubectl ${ctx} rollout status deployment/controller --namespace metallb-system --timeout 5m`,
    `kubectl ${ctx} rollout status daemonset/speaker --namespace metallb-system --timeout 5m`,
    `kubectl ${ctx} apply -f -`,
    'helm --kube-context kind-mesh-conformance upgrade --install istio-base base --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --create-namespace --set defaultRevision=asm-1-30 --wait --timeout 5m',
    'helm --kube-context kind-mesh-conformance upgrade --install istiod-asm-1-30 istiod --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --set revision=asm-1-30 --wait --timeout 5m',
    `kubectl ${ctx} apply -f https://raw.githubusercontent.com/istio/istio/1.30.3/samples/addons/prometheus.yaml`,
    `kubectl ${ctx} rollout status deployment/prometheus --namespace istio-system --timeout 5m`,
  ];

  it('from scratch: a cluster on the pinned 1.35 image, Gateway API CRDs, MetalLB, Istio with Helm under asm-1-30, Prometheus', async () => {
    const r = recordingRunner([dockerUp, kindNetwork, ['kind version', { stdout: 'kind v0.31.0 go1.25.5 linux/amd64\n' }]]);
    const { context } = await kindUp(r, { mesh: 'istio' });
    assert.equal(context, 'kind-mesh-conformance');
    assert.deepEqual(r.commands, [
      'kind create cluster --name mesh-conformance --image kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f --config - --wait 2m',
      ...istioCommands,
    ]);
    assert.ok(!r.commands.some((c) => /\bistioctl\b|\bosm\b|ingress-nginx/.test(c)), 'Helm only: no istioctl, nothing of the osm environment');
    assert.ok(!r.said.some((l) => l.startsWith('warning:')), 'the pinned kind gives no warning');
    assert.equal(r.said.at(-1), 'next: npx mesh-conformance run --target kind --mesh istio --context kind-mesh-conformance --mesh-revision asm-1-30');
  });

  it('gives MetalLB a pool of .200-.240 on the kind Docker network, as setupkind.sh does', async () => {
    const r = recordingRunner([dockerUp, kindNetwork]);
    await kindUp(r, { mesh: 'istio' });
    const apply = r.calls.find((c) => c.kind === 'run' && c.line.endsWith('apply -f -'));
    /** @type {{ kind: string, metadata: { namespace: string }, spec: { addresses?: string[], ipAddressPools?: string[] } }[]} */
    const docs = parseAllDocuments(apply?.input ?? '').map((d) => d.toJSON());
    assert.deepEqual(docs.map((d) => d.kind), ['IPAddressPool', 'L2Advertisement']);
    assert.deepEqual(docs[0]?.spec.addresses, ['172.18.255.200-172.18.255.240']);
    assert.deepEqual(docs[1]?.spec.ipAddressPools, ['kind-pool']);
    assert.ok(docs.every((d) => d.metadata.namespace === 'metallb-system'));
  });

  it('is idempotent: keeps an existing cluster on a supported Kubernetes and converges every step again', async () => {
    const r = recordingRunner([dockerUp, kindNetwork, ['kind get clusters', { stdout: 'mesh-conformance\n' }],
      [/get nodes --output/, { stdout: 'v1.35.0' }]]);
    await kindUp(r, { mesh: 'istio' });
    assert.deepEqual(r.commands, istioCommands);
    assert.ok(r.said.some((l) => l.includes('exists: keeping it')));
  });

  it('refuses an existing cluster on a Kubernetes Istio 1.30 does not support (the osm environment\'s 1.27)', async () => {
    const r = recordingRunner([dockerUp, ['kind get clusters', { stdout: 'mesh-conformance\n' }], [/get nodes --output/, { stdout: 'v1.27.3' }]]);
    await assert.rejects(kindUp(r, { mesh: 'istio' }), /kind cluster mesh-conformance runs Kubernetes 1\.27; Istio 1\.30\.3 supports 1\.32–1\.36: delete it \(node scripts\/kind-down\.mjs --name mesh-conformance\)/);
    assert.deepEqual(r.commands, []);
  });

  it('warns when the kind on PATH is not the pinned release', async () => {
    const r = recordingRunner([dockerUp, kindNetwork, ['kind version', { stdout: 'kind v0.20.0 go1.20.4 linux/amd64\n' }]]);
    await kindUp(r, { mesh: 'istio' });
    assert.ok(r.said.includes(`warning: kind v0.20.0 found; the istio environment pins kind v0.31.0, whose release built ${istioVersions.kindNodeImage}`));
  });

  it('stops when the kind network has no IPv4 subnet for the pool (and prints a placeholder in a dry run)', async () => {
    await assert.rejects(kindUp(recordingRunner([dockerUp, [/^docker network inspect kind /, { stdout: 'fc00:f853:ccd:e793::/64 \n' }]]), { mesh: 'istio' }),
      /cannot find an IPv4 subnet of \/24 or larger on the kind Docker network \(docker network inspect kind listed: fc00:f853:ccd:e793::\/64\)/);
    const out = sink();
    assert.equal(await scriptMain({ name: 'kind-up', usage: 'u', options: {}, tools: [], argv: ['--dry-run'], out, err: sink(), main: (r) => kindUp(r, { mesh: 'istio' }) }), 0);
    assert.match(out.text, /^ {4}\| {4,6}- <a\.b\.255>\.200-<a\.b\.255>\.240$/m);
    assert.match(out.text, /^\+ helm --kube-context kind-mesh-conformance upgrade --install istiod-asm-1-30 istiod /m);
  });

  it('computes the pool from the subnet\'s last /24', () => {
    assert.equal(metallbAddressRange('172.18.0.0/16'), '172.18.255.200-172.18.255.240');
    assert.equal(metallbAddressRange('fc00::/64\n192.168.16.0/20'), '192.168.31.200-192.168.31.240');
    assert.equal(metallbAddressRange('10.89.0.0/24'), '10.89.0.200-10.89.0.240');
    assert.equal(metallbAddressRange('10.89.0.0/26 fc00::/64'), undefined);
    assert.equal(metallbAddressRange(''), undefined);
    assert.match(metallbPoolManifest('1.2.3.200-1.2.3.240'), /^---$/m);
  });

  it('uses a plain two-node cluster (no host port) and the Helm values that mimic the AKS add-on', () => {
    const config = parse(kindClusterConfig({ mesh: 'istio' }));
    assert.deepEqual(config.nodes, [{ role: 'control-plane' }, { role: 'worker' }]);
    const { base, istiod } = istioHelmArgs();
    assert.ok(istiod.includes('revision=asm-1-30'));
    assert.ok(!istiod.some((a) => a.startsWith('revisionTags')), 'no revision tag, so no istio-revision-tag-default');
    assert.ok(base.includes('defaultRevision=asm-1-30'));
  });

  it('needs no osm CLI, names the istio pins in its install hints, and rejects --host-port', async () => {
    assert.deepEqual(kindUpToolsFor('istio'), ['docker', 'kind', 'kubectl', 'helm']);
    const err = sink();
    const code = await scriptMain({ name: 'kind-up', usage: 'u', options: {}, tools: kindUpToolsFor('istio'), versions: () => versionsFor('istio'), argv: [], out: sink(), err,
      has: async (t) => t === 'docker', main: async () => undefined });
    assert.equal(code, 2);
    assert.match(err.text, /- kind not found on PATH: go install sigs\.k8s\.io\/kind@v0\.31\.0/);
    assert.match(err.text, /- kubectl not found on PATH: curl -LO https:\/\/dl\.k8s\.io\/release\/v1\.35\.0\//);
    assert.match(err.text, /- helm not found on PATH: curl -fsSL https:\/\/get\.helm\.sh\/helm-v3\.20\.0-/);
    assert.doesNotMatch(err.text, /osm/);
  });

  it('prints the pins of each environment for CI', () => {
    const osm = shellAssignments(versionsFor('osm'));
    assert.match(osm, /^KIND_VERSION=v0\.20\.0$/m);
    assert.match(osm, /^KUBECTL_VERSION=v1\.27\.3$/m);
    const istio = shellAssignments(versionsFor('istio'));
    assert.match(istio, /^KIND_VERSION=v0\.31\.0$/m);
    assert.match(istio, /^KUBECTL_VERSION=v1\.35\.0$/m);
    assert.match(istio, /^ISTIO_REVISION=asm-1-30$/m);
    assert.doesNotMatch(istio, /OSM_VERSION/);
    // kubectl matches the node image's minor in both environments (CI installs it).
    for (const v of [versions, istioVersions]) assert.equal(/v1\.(\d+)\./.exec(v.kubectl)?.[1], /node:v1\.(\d+)\./.exec(v.kindNodeImage)?.[1]);
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

describe('kind-up --with opa', () => {
  it('applies OPA-Envoy and the policy from deploy/opa, waits for it, then turns on MeshConfig external authorization', async () => {
    const r = recordingRunner([dockerUp]);
    await kindUp(r, { opa: true });
    const tail = r.commands.slice(-4);
    assert.deepEqual(tail, [
      'kubectl --context kind-mesh-conformance apply -f -',
      'kubectl --context kind-mesh-conformance rollout restart deployment/opa --namespace opa',
      'kubectl --context kind-mesh-conformance rollout status deployment/opa --namespace opa --timeout 5m',
      `kubectl --context kind-mesh-conformance patch meshconfig osm-mesh-config --namespace osm-system --type merge -p $'{"spec":{"traffic":{"inboundExternalAuthorization":{"enable":true,"address":"opa.opa.svc.cluster.local","port":9191,"statPrefix":"inboundExtAuthz","timeout":"1s","failureModeAllow":false}}}}'`,
    ]);
    const applied = parseAllDocuments(r.calls.find((c) => c.line.endsWith('apply -f -'))?.input ?? '').map((d) => d.toJS());
    assert.deepEqual(applied.map((o) => `${o.kind} ${o.metadata.name}`), ['Namespace opa', 'ConfigMap opa-envoy-config', 'Deployment opa', 'Service opa', 'ConfigMap opa-policy']);
    assert.equal(applied[2].spec.template.spec.containers[0].image, 'openpolicyagent/opa:0.28.0-envoy');
    assert.match(applied[4].data['policy.rego'], /x-mesh-conformance-authz/);
  });

  it('--with dapr installs the pinned Dapr chart with mTLS off, then excludes the placement ports in MeshConfig', async () => {
    const r = recordingRunner([dockerUp]);
    await kindUp(r, { dapr: true });
    assert.deepEqual(r.commands.slice(-3), [
      'helm repo add dapr https://dapr.github.io/helm-charts/ --force-update',
      'helm --kube-context kind-mesh-conformance upgrade --install dapr dapr/dapr --version 1.16.9 --namespace dapr-system --create-namespace --set global.mtls.enabled=false --wait --timeout 5m',
      `kubectl --context kind-mesh-conformance patch meshconfig osm-mesh-config --namespace osm-system --type merge -p $'{"spec":{"traffic":{"outboundPortExclusionList":[50005,8201]}}}'`,
    ]);
  });

  it('refuses --with anything but opa, and --with opa with --mesh istio (exit 2, one line)', () => {
    const script = fileURLToPath(new URL('../kind-up.mjs', import.meta.url));
    /** @type {[string[], RegExp][]} */
    const cases = [[['--with', 'vault'], /--with takes opa .* or flagger/], [['--with', 'opa', '--mesh', 'istio'], /--with opa applies to the osm environment/], [['--with', 'dapr', '--mesh', 'istio'], /--with dapr applies to the osm environment/],
      [['--with', 'flagger', '--mesh', 'istio'], /--with flagger applies to the osm environment/]];
    for (const [argv, message] of cases) {
      const r = spawnSync(process.execPath, [script, ...argv, '--dry-run'], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

describe('kind-up --with flagger', () => {
  it('installs Flagger\'s pinned chart in osm-system for OSM (meshProvider, osm-prometheus) and waits for it', async () => {
    const r = recordingRunner([dockerUp]);
    await kindUp(r, { flagger: true });
    assert.deepEqual(r.commands.slice(-2), [
      'helm --kube-context kind-mesh-conformance upgrade --install flagger flagger --repo https://flagger.app --version 1.36.0 --namespace osm-system --set meshProvider=osm --set metricsServer=http://osm-prometheus.osm-system.svc:7070',
      'kubectl --context kind-mesh-conformance rollout status deployment/flagger --namespace osm-system --timeout 5m',
    ]);
  });
});
