// The one place the kind environments' versions are pinned. kind-up.mjs, the nightly workflow and docs/kind.md read
// them from here; bump them together and run `node scripts/kind-up.mjs [--mesh istio] --dry-run` to see what changes.
//
//   node scripts/lib/versions.mjs --shell [--mesh istio]   # KIND_VERSION=v0.20.0 … (for CI: eval or >> $GITHUB_ENV)
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The meshes kind-up can set up. */
export const kindMeshes = /** @type {const} */ (['osm', 'istio']);
/** @typedef {(typeof kindMeshes)[number]} KindMesh */

/** The OSM environment (the default). */
export const versions = Object.freeze({
  /** kind CLI release. */
  kind: 'v0.20.0',
  /**
   * Node image of that kind release. OSM 1.2's CI ran on Kubernetes 1.22–1.24; 1.27 is the newest image of kind
   * v0.20.0 whose APIs OSM 1.2 still finds (its chart renders no removed APIs by default, osm.md §7).
   */
  kindNodeImage: 'kindest/node:v1.27.3',
  /** ingress-nginx Helm chart (controller v1.8.1, supports Kubernetes 1.24–1.27). */
  ingressNginxChart: '4.7.1',
  /** OSM CLI and control plane: the last upstream release. */
  osm: 'v1.2.4',
  /**
   * Dapr's Helm chart for `kind-up --with dapr` (docs.dapr.io "Upgrade Dapr on a Kubernetes cluster" names 1.16.9);
   * whether 1.16 supports the node image's Kubernetes 1.27 is UNCONFIRMED (docs/dapr.md).
   */
  dapr: '1.16.9',
  /** Helm, for CI installs (Helm 3.12 supports Kubernetes 1.24–1.27). */
  helm: 'v3.12.3',
  /** kubectl, for CI installs: the node image's minor version. */
  kubectl: 'v1.27.3',
});

/**
 * Flagger's Helm chart (`kind-up --with flagger`): chart and app versions are equal; 1.36.0 was released 2024-02-07
 * (Flagger's release notes). Its CRDs come with the chart (charts/flagger/crds/). docs/flagger.md, docs/kind.md.
 */
export const flaggerChart = '1.36.0';

/**
 * The Istio environment (`kind-up --mesh istio`): upstream Istio installed with Helm under an AKS-style revision.
 * Sources: shared/reference/istio.md §8 (supported Kubernetes, kind images, MetalLB, Gateway API, Helm) and docs/kind.md.
 */
export const istioVersions = Object.freeze({
  /** kind CLI release whose default node image is the one below (node images are built per kind release). */
  kind: 'v0.31.0',
  /**
   * kind v0.31.0's default node image, pinned by digest (kind's v0.31.0 release notes). Kubernetes 1.35 is inside
   * Istio 1.30's supported range 1.32–1.36 (istio.md §8) and runs native sidecars by default (≥1.33).
   */
  kindNodeImage: 'kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f',
  /** Helm, for CI installs: 3.20.x supports Kubernetes 1.32–1.35 (Helm's version skew table). */
  helm: 'v3.20.0',
  /** kubectl, for CI installs: the node image's minor version. */
  kubectl: 'v1.35.0',
  /** Istio charts (`istio/base`, `istio/istiod`) and the Prometheus addon manifest (tag of istio/istio). */
  istio: '1.30.3',
  /** The istiod revision, named as the AKS add-on names its revisions (asm-X-Y): no default revision, no default tag. */
  istioRevision: 'asm-1-30',
  /** Gateway API CRDs (standard channel): the version Istio 1.30 builds against (istio.md §8). */
  gatewayApi: 'v1.5.1',
  /** MetalLB, so LoadBalancer Services (Istio's gateways) get an address on the kind network, as Istio's setupkind.sh. */
  metallb: 'v0.14.9',
});

/**
 * The pins of one mesh's kind environment.
 * @param {KindMesh} mesh
 * @returns {Readonly<Record<string, string>>}
 */
export function versionsFor(mesh) {
  return mesh === 'istio' ? istioVersions : versions;
}

/**
 * Shell assignments for CI (`KIND_VERSION=v0.20.0`, `KIND_NODE_IMAGE=kindest/node:…`, …).
 * @param {Readonly<Record<string, string>>} [v]
 * @returns {string}
 */
export function shellAssignments(v = versions) {
  /** @type {Record<string, string>} */
  const names = {
    kind: 'KIND_VERSION', kindNodeImage: 'KIND_NODE_IMAGE', ingressNginxChart: 'INGRESS_NGINX_CHART_VERSION', osm: 'OSM_VERSION', helm: 'HELM_VERSION',
    kubectl: 'KUBECTL_VERSION', istio: 'ISTIO_VERSION', istioRevision: 'ISTIO_REVISION', gatewayApi: 'GATEWAY_API_VERSION', metallb: 'METALLB_VERSION',
  };
  return Object.entries(v).map(([k, val]) => `${names[k] ?? k.toUpperCase()}=${val}`).join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const meshAt = args.indexOf('--mesh');
  const mesh = meshAt >= 0 ? args[meshAt + 1] : 'osm';
  if (mesh !== 'osm' && mesh !== 'istio') {
    process.stderr.write(`versions: --mesh must be one of ${kindMeshes.join(', ')}, got ${String(mesh)}\n`);
    process.exit(2);
  }
  const v = versionsFor(mesh);
  if (args.includes('--shell')) process.stdout.write(`${shellAssignments(v)}\n`);
  else process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}
