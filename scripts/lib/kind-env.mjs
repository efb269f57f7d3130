// What kind-up and kind-down do, as steps over a Runner (runner.mjs), so tests can check every command line.
// Two environments: OSM (the default: ingress-nginx on a host port, OSM with its Prometheus) and Istio (Gateway API
// CRDs, MetalLB, upstream Istio installed with Helm under an AKS-style revision, Istio's Prometheus addon).
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';
import { stringify } from 'yaml';
import { UsageError } from './script-main.mjs';
import { flaggerChart, istioVersions, versions } from './versions.mjs';

/** @typedef {import('./versions.mjs').KindMesh} KindMesh */

/** Defaults of the kind environment (the cluster name gives the kubeconfig context `kind-<name>`). */
export const kindDefaults = Object.freeze({
  name: 'mesh-conformance', hostPort: 80, meshName: 'osm', osmNamespace: 'osm-system',
  /** @type {KindMesh} */ mesh: 'osm', istioNamespace: 'istio-system',
});

/**
 * @typedef {{ name?: string, hostPort?: number, mesh?: KindMesh, meshName?: string, osmNamespace?: string, istioNamespace?: string, opa?: boolean, dapr?: boolean, flagger?: boolean }} KindUpOptions
 */

/** The tools each script needs. */
export const kindUpTools = ['docker', 'kind', 'kubectl', 'helm', 'osm'];
export const kindDownTools = ['docker', 'kind'];

/**
 * The tools kind-up needs for one mesh (no osm CLI for Istio: Helm installs it).
 * @param {KindMesh} mesh
 * @returns {string[]}
 */
export function kindUpToolsFor(mesh) {
  return mesh === 'istio' ? ['docker', 'kind', 'kubectl', 'helm'] : kindUpTools;
}

/**
 * Kubernetes minors Istio 1.30 supports (istio.md §8: 1.30.0 on 1.32–1.36); kind-up refuses an existing cluster
 * outside them instead of installing into it.
 */
export const istioKubernetesMinors = Object.freeze({ min: 32, max: 36 });

/**
 * The kind cluster. OSM: a control plane and one worker labelled ingress-ready=true whose port 80 is the host's
 * `hostPort`, so ingress-nginx (hostPort 80 on that node) answers on http://localhost. Istio: a control plane and
 * one worker, no host port (the gateway gets a MetalLB address on the kind network).
 * @param {KindUpOptions} [opts]
 * @returns {string}
 */
export function kindClusterConfig(opts = {}) {
  const o = { ...kindDefaults, ...opts };
  const head = ['kind: Cluster', 'apiVersion: kind.x-k8s.io/v1alpha4', `name: ${o.name}`, 'nodes:', '  - role: control-plane', '  - role: worker'];
  if (o.mesh === 'istio') return [...head, ''].join('\n');
  return [
    ...head,
    '    labels:',
    '      ingress-ready: "true"',
    '    extraPortMappings:',
    '      - containerPort: 80',
    `        hostPort: ${o.hostPort}`,
    '        protocol: TCP',
    '',
  ].join('\n');
}

/**
 * `helm upgrade --install` of ingress-nginx for kind: hostPort on the ingress-ready node, status address localhost.
 * @returns {string[]}
 */
export function ingressNginxArgs(v = versions) {
  return [
    'upgrade', '--install', 'ingress-nginx', 'ingress-nginx',
    '--repo', 'https://kubernetes.github.io/ingress-nginx', '--version', v.ingressNginxChart,
    '--namespace', 'ingress-nginx', '--create-namespace',
    '--set', 'controller.hostPort.enabled=true',
    '--set-string', 'controller.nodeSelector.ingress-ready=true',
    '--set', 'controller.service.type=NodePort',
    // On kind the ingress address is localhost: publish it on every Ingress instead of a node IP behind Docker's NAT.
    '--set', 'controller.publishService.enabled=false',
    '--set', 'controller.extraArgs.publish-status-address=localhost',
    // ingress-nginx writes Ingress status at leader start, then every --status-update-interval (default 60 s,
    // internal/ingress/status/status.go): 5 s makes a fresh Ingress get its address within seconds.
    '--set', 'controller.extraArgs.status-update-interval=5',
    '--wait', '--timeout', '5m',
  ];
}

/**
 * `osm install` with Prometheus, permissive traffic policy and the IngressBackend policy (the guide's settings).
 * @param {KindUpOptions} [opts]
 * @returns {string[]}
 */
export function osmInstallArgs(opts = {}) {
  const o = { ...kindDefaults, ...opts };
  return [
    'install', '--mesh-name', o.meshName, '--osm-namespace', o.osmNamespace,
    '--set=osm.deployPrometheus=true',
    '--set=osm.enablePermissiveTrafficPolicy=true',
    '--set=osm.featureFlags.enableIngressBackendPolicy=true',
    '--timeout', '5m', '--verbose',
  ];
}

/** Where the Istio environment's manifests and charts come from, at the pinned versions. */
export const istioSources = Object.freeze({
  /** Gateway API standard channel CRDs, the release asset (applied server-side: the CRDs exceed the annotation limit). */
  gatewayApiCrds: (v = istioVersions) => `https://github.com/kubernetes-sigs/gateway-api/releases/download/${v.gatewayApi}/standard-install.yaml`,
  /** MetalLB's native (L2) manifest, as Istio's samples/kind-lb/setupkind.sh applies it. */
  metallb: (v = istioVersions) => `https://raw.githubusercontent.com/metallb/metallb/${v.metallb}/config/manifests/metallb-native.yaml`,
  /** The Istio Helm chart repository (istio.md §8). */
  istioCharts: 'https://istio-release.storage.googleapis.com/charts',
  /** samples/addons/prometheus.yaml at the Istio tag (namespace istio-system, Service prometheus:9090). */
  prometheusAddon: (v = istioVersions) => `https://raw.githubusercontent.com/istio/istio/${v.istio}/samples/addons/prometheus.yaml`,
});

/**
 * The MetalLB address range on the kind Docker network, from `docker network inspect kind` subnets: .200–.240 in the
 * subnet's last /24, as setupkind.sh does (172.18.0.0/16 gives 172.18.255.200-172.18.255.240). Undefined when no
 * IPv4 subnet of /24 or larger is listed.
 * @param {string} subnets the subnets, separated by spaces or lines (IPv6 ones are skipped)
 * @returns {string | undefined}
 */
export function metallbAddressRange(subnets) {
  for (const cidr of subnets.split(/\s+/)) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) continue;
    const bits = Number(m[5]);
    const octets = m.slice(1, 5).map(Number);
    if (bits > 24 || octets.some((x) => x > 255)) continue;
    const address = octets.reduce((a, x) => a * 256 + x, 0);
    const last = address + 2 ** (32 - bits) - 1;
    const prefix = [Math.floor(last / 2 ** 24) % 256, Math.floor(last / 2 ** 16) % 256, Math.floor(last / 2 ** 8) % 256].join('.');
    return `${prefix}.200-${prefix}.240`;
  }
  return undefined;
}

/**
 * The MetalLB IPAddressPool and L2Advertisement for the kind network (setupkind.sh's, named for this project).
 * @param {string} range e.g. 172.18.255.200-172.18.255.240
 * @returns {string}
 */
export function metallbPoolManifest(range) {
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'kind-pool', namespace: 'metallb-system' }, spec: { addresses: [range] } };
  const l2 = { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'kind-pool', namespace: 'metallb-system' }, spec: { ipAddressPools: ['kind-pool'] } };
  return `${stringify(pool)}---\n${stringify(l2)}`;
}

/**
 * `helm upgrade --install` of istio/base and istio/istiod, AKS-style: istiod under revision `asm-X-Y` in
 * istio-system, no default revision and no default tag, so `istio-injection=enabled` selects nothing and only
 * `istio.io/rev=asm-X-Y` injects (istio.md §1.1, §8). base's default validator points at that revision's istiod
 * (`defaultRevision`; with the chart's "default" it would name an `istiod` Service that does not exist).
 * @param {KindUpOptions} [opts]
 * @returns {{ base: string[], istiod: string[] }}
 */
export function istioHelmArgs(opts = {}, v = istioVersions) {
  const o = { ...kindDefaults, ...opts };
  const common = ['--repo', istioSources.istioCharts, '--version', v.istio, '--namespace', o.istioNamespace];
  return {
    base: ['upgrade', '--install', 'istio-base', 'base', ...common, '--create-namespace', '--set', `defaultRevision=${v.istioRevision}`, '--wait', '--timeout', '5m'],
    istiod: ['upgrade', '--install', `istiod-${v.istioRevision}`, 'istiod', ...common, '--set', `revision=${v.istioRevision}`, '--wait', '--timeout', '5m'],
  };
}

/**
 * The Istio environment on an existing kind cluster: Gateway API CRDs, MetalLB with a pool on the kind network,
 * istio/base and istio/istiod (revision asm-X-Y) with Helm, and the Prometheus addon. Every step converges
 * (server-side apply, apply, helm upgrade --install), so a re-run changes nothing.
 * @param {import('./runner.mjs').Runner} r
 * @param {Required<Pick<KindUpOptions, 'name' | 'istioNamespace'>>} o
 * @param {string} context
 */
async function istioUp(r, o, context) {
  const v = istioVersions;
  /** @param {string[]} args @param {import('./runner.mjs').RunOptions} [opts] */
  const kubectl = (args, opts) => r.run('kubectl', ['--context', context, ...args], opts);

  await kubectl(['apply', '--server-side', '-f', istioSources.gatewayApiCrds()]);

  await kubectl(['apply', '-f', istioSources.metallb()]);
  // MetalLB's webhook (in the controller) must answer before the pool can be applied.
  await kubectl(['rollout', 'status', 'deployment/controller', '--namespace', 'metallb-system', '--timeout', '5m']);
  await kubectl(['rollout', 'status', 'daemonset/speaker', '--namespace', 'metallb-system', '--timeout', '5m']);
  const network = await r.query('docker', ['network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']);
  let range = metallbAddressRange(network.stdout);
  if (!range) {
    if (!r.dryRun) throw new UsageError(`cannot find an IPv4 subnet of /24 or larger on the kind Docker network (docker network inspect kind listed: ${network.stdout.trim() || 'nothing'})`);
    range = '<a.b.255>.200-<a.b.255>.240';
    r.say('(dry run: the address range comes from `docker network inspect kind`, e.g. 172.18.255.200-172.18.255.240 for 172.18.0.0/16)');
  }
  await kubectl(['apply', '-f', '-'], { input: metallbPoolManifest(range) });

  const helm = istioHelmArgs(o, v);
  await r.run('helm', ['--kube-context', context, ...helm.base]);
  await r.run('helm', ['--kube-context', context, ...helm.istiod]);

  await kubectl(['apply', '-f', istioSources.prometheusAddon()]);
  await kubectl(['rollout', 'status', 'deployment/prometheus', '--namespace', o.istioNamespace, '--timeout', '5m']);
}

/**
 * The Kubernetes minor an existing cluster runs (from its first node), or undefined when it cannot be read.
 * @param {import('./runner.mjs').Runner} r
 * @param {string} context
 * @returns {Promise<number | undefined>}
 */
async function nodeMinor(r, context) {
  const res = await r.query('kubectl', ['--context', context, 'get', 'nodes', '--output', 'jsonpath={.items[0].status.nodeInfo.kubeletVersion}']);
  const m = /^v1\.(\d+)\./.exec(res.stdout.trim());
  return res.ok && m ? Number(m[1]) : undefined;
}

/**
 * Creates (or completes) the kind environment for `mesh` (default osm). Idempotent: an existing cluster, ingress-nginx
 * release or OSM install is kept (helm upgrade --install converges releases to the pinned charts and values); the
 * Istio steps all converge.
 * @param {import('./runner.mjs').Runner} r
 * @param {KindUpOptions} [opts]
 * @returns {Promise<{ context: string }>}
 */
export async function kindUp(r, opts = {}) {
  const o = { ...kindDefaults, ...opts };
  const context = `kind-${o.name}`;
  const istio = o.mesh === 'istio';
  const nodeImage = istio ? istioVersions.kindNodeImage : versions.kindNodeImage;
  const engine = await r.query('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (!engine.ok && !r.dryRun) throw new UsageError('the Docker engine is not running (`docker info` failed): start Docker (Desktop) or the docker service, then retry');
  if (istio) {
    // Node images are built per kind release: say so when the kind on PATH is not the pinned one.
    const kind = await r.query('kind', ['version']);
    const found = /\bv\d+\.\d+\.\d+\b/.exec(kind.stdout)?.[0];
    if (found && found !== istioVersions.kind) r.say(`warning: kind ${found} found; the istio environment pins kind ${istioVersions.kind}, whose release built ${nodeImage}`);
  }
  const clusters = await r.query('kind', ['get', 'clusters']);
  if (clusters.stdout.split('\n').map((l) => l.trim()).includes(o.name)) {
    r.say(`kind cluster ${o.name} exists: keeping it (delete it with node scripts/kind-down.mjs to start afresh)`);
    if (istio) {
      const minor = await nodeMinor(r, context);
      const { min, max } = istioKubernetesMinors;
      if (minor !== undefined && (minor < min || minor > max)) {
        throw new UsageError(`kind cluster ${o.name} runs Kubernetes 1.${minor}; Istio ${istioVersions.istio} supports 1.${min}–1.${max}: delete it (node scripts/kind-down.mjs --name ${o.name}) and run kind-up --mesh istio again`);
      }
    }
  } else {
    await r.run('kind', ['create', 'cluster', '--name', o.name, '--image', nodeImage, '--config', '-', '--wait', '2m'], { input: kindClusterConfig(o) });
  }

  if (istio) {
    await istioUp(r, o, context);
    r.say(`ready: kind cluster ${o.name} (context ${context}) with Istio ${istioVersions.istio} (revision ${istioVersions.istioRevision}, label namespaces istio.io/rev=${istioVersions.istioRevision}), Gateway API ${istioVersions.gatewayApi} CRDs, MetalLB and Prometheus in ${o.istioNamespace}`);
    r.say(`next: npx mesh-conformance run --target kind --mesh istio --context ${context} --mesh-revision ${istioVersions.istioRevision}`);
    return { context };
  }

  /** @param {string[]} args */
  const kubectl = (args) => r.run('kubectl', ['--context', context, ...args]);

  await r.run('helm', ['--kube-context', context, ...ingressNginxArgs()]);

  // The osm CLI works on the current context: make it this cluster's (kind create sets it, a re-run may not find it so).
  await r.run('kubectl', ['config', 'use-context', context]);
  const osmPresent = await r.query('kubectl', ['--context', context, 'get', 'deployment', 'osm-controller', '--namespace', o.osmNamespace, '--ignore-not-found', '--output', 'name']);
  if (osmPresent.ok && osmPresent.stdout.trim() !== '') {
    r.say(`OSM is installed in ${o.osmNamespace}: keeping it`);
  } else {
    await r.run('osm', osmInstallArgs(o));
  }
  for (const d of ['osm-controller', 'osm-injector', 'osm-bootstrap']) {
    await kubectl(['rollout', 'status', `deployment/${d}`, '--namespace', o.osmNamespace, '--timeout', '5m']);
  }
  // OSM must watch the ingress controller's namespace (to resolve its endpoints) without injecting a sidecar.
  await r.run('osm', ['namespace', 'add', 'ingress-nginx', '--mesh-name', o.meshName, '--disable-sidecar-injection']);

  if (o.opa) await opaUp(r, o, context);
  if (o.dapr) await daprUp(r, o, context);
  if (o.flagger) {
    await r.run('helm', ['--kube-context', context, ...flaggerHelmArgs(o)]);
    await kubectl(['rollout', 'status', 'deployment/flagger', '--namespace', o.osmNamespace, '--timeout', '5m']);
  }

  r.say(`ready: kind cluster ${o.name} (context ${context}), ingress on http://localhost${o.hostPort === 80 ? '' : `:${o.hostPort}`}${o.opa ? ', OPA-Envoy in namespace opa with MeshConfig inbound external authorization on' : ''}${o.dapr ? `, Dapr ${versions.dapr} in dapr-system (mTLS off, placement ports excluded in MeshConfig)` : ''}${o.flagger ? `, Flagger in ${o.osmNamespace} (-mesh-provider=osm)` : ''}`);
  r.say(`next: npx mesh-conformance run --target kind --context ${context}${o.hostPort === 80 ? '' : ` --ingress-address localhost:${o.hostPort}`}`);
  return { context };
}

/**
 * `--with flagger`: Flagger for OSM as its docs install it ("Open Service Mesh Deployments": namespace osm-system,
 * meshProvider osm, metricsServer osm-prometheus), from the chart repository at a pinned version (docs/flagger.md).
 * @param {{ osmNamespace: string }} o
 * @returns {string[]}
 */
export function flaggerHelmArgs(o) {
  return [
    'upgrade', '--install', 'flagger', 'flagger', '--repo', 'https://flagger.app', '--version', flaggerChart,
    '--namespace', o.osmNamespace,
    '--set', 'meshProvider=osm',
    '--set', `metricsServer=http://osm-prometheus.${o.osmNamespace}.svc:7070`,
  ];
}

/** MeshConfig outboundPortExclusionList as OSM's Dapr guide sets it: the placement server's ports (50005, 8201). */
export const daprMeshConfigPatch = JSON.stringify({ spec: { traffic: { outboundPortExclusionList: [50005, 8201] } } });

/**
 * `--with dapr`: Dapr from its Helm chart (pinned in versions.mjs) with Dapr's mTLS off, OSM's guide's step 1, and
 * the placement server's ports out of OSM's outbound interception (step 4). The per-pod exclusion of port 80 (dapr-api,
 * dapr-sentry; step 5) is the Dapr-enabled pod's annotation: the dapr-invocation check sets it on its client. A re-run
 * converges (helm upgrade --install, the same merge patch). Untested against a real kind cluster (docs/kind.md).
 * @param {import('./runner.mjs').Runner} r
 * @param {Required<Pick<KindUpOptions, 'osmNamespace'>>} o
 * @param {string} context
 */
async function daprUp(r, o, context) {
  await r.run('helm', ['repo', 'add', 'dapr', 'https://dapr.github.io/helm-charts/', '--force-update']);
  await r.run('helm', ['--kube-context', context, 'upgrade', '--install', 'dapr', 'dapr/dapr', '--version', versions.dapr, '--namespace', 'dapr-system', '--create-namespace',
    '--set', 'global.mtls.enabled=false', '--wait', '--timeout', '5m']);
  await r.run('kubectl', ['--context', context, 'patch', 'meshconfig', 'osm-mesh-config', '--namespace', o.osmNamespace, '--type', 'merge', '-p', daprMeshConfigPatch]);
}

const opaDir = new URL('../../deploy/opa/', import.meta.url);

/**
 * The OPA-Envoy objects `--with opa` applies: deploy/opa/opa-envoy.yaml (after OSM's walkthrough manifest) and the
 * ConfigMap opa-policy holding deploy/opa/policy.rego (docs/external-authorization.md).
 * @returns {string}
 */
export function opaManifest() {
  const policy = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opa-policy', namespace: 'opa' }, data: { 'policy.rego': readFileSync(new URL('policy.rego', opaDir), 'utf8') } };
  return `${readFileSync(new URL('opa-envoy.yaml', opaDir), 'utf8')}---\n${stringify(policy)}`;
}

/** MeshConfig inboundExternalAuthorization as OSM's walkthrough sets it, pointing at the Service opa/opa. */
export const opaMeshConfigPatch = JSON.stringify({ spec: { traffic: { inboundExternalAuthorization: {
  enable: true, address: 'opa.opa.svc.cluster.local', port: 9191, statPrefix: 'inboundExtAuthz', timeout: '1s', failureModeAllow: false,
} } } });

/**
 * `--with opa`: OPA with its Envoy plugin and the repository's policy, then MeshConfig's external authorization on
 * (after OPA answers, so the mesh never points at a service that is not there). A re-run converges: apply, restart
 * (OPA reads its policy at start only), the same merge patch.
 * @param {import('./runner.mjs').Runner} r
 * @param {{ osmNamespace: string }} o
 * @param {string} context
 */
async function opaUp(r, o, context) {
  await r.run('kubectl', ['--context', context, 'apply', '-f', '-'], { input: opaManifest() });
  await r.run('kubectl', ['--context', context, 'rollout', 'restart', 'deployment/opa', '--namespace', 'opa']);
  await r.run('kubectl', ['--context', context, 'rollout', 'status', 'deployment/opa', '--namespace', 'opa', '--timeout', '5m']);
  await r.run('kubectl', ['--context', context, 'patch', 'meshconfig', 'osm-mesh-config', '--namespace', o.osmNamespace, '--type', 'merge', '-p', opaMeshConfigPatch]);
}

/**
 * Deletes the kind cluster; nothing to do when it does not exist.
 * @param {import('./runner.mjs').Runner} r
 * @param {{ name?: string }} [opts]
 */
export async function kindDown(r, opts = {}) {
  const o = { ...kindDefaults, ...opts };
  const clusters = await r.query('kind', ['get', 'clusters']);
  if (!r.dryRun && !clusters.stdout.split('\n').map((l) => l.trim()).includes(o.name)) {
    r.say(`kind cluster ${o.name} does not exist: nothing to delete`);
    return { deleted: false };
  }
  await r.run('kind', ['delete', 'cluster', '--name', o.name]);
  return { deleted: true };
}
