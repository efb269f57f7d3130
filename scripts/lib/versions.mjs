// The one place the kind environment's versions are pinned. kind-up.mjs, the nightly workflow and docs/kind.md read
// them from here; bump them together and run `node scripts/kind-up.mjs --dry-run` to see what changes.
//
//   node scripts/lib/versions.mjs --shell   # KIND_VERSION=v0.20.0 … (for CI: eval or >> $GITHUB_ENV)
import process from 'node:process';
import { fileURLToPath } from 'node:url';

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
  /** Helm, for CI installs (any Helm 3 works locally). */
  helm: 'v3.12.3',
  /** kubectl, for CI installs; keep within one minor of the node image. */
  kubectl: 'v1.27.3',
});

/**
 * Shell assignments for CI (`KIND_VERSION=v0.20.0`, `KIND_NODE_IMAGE=kindest/node:…`, …).
 * @param {Readonly<Record<string, string>>} [v]
 * @returns {string}
 */
export function shellAssignments(v = versions) {
  /** @type {Record<string, string>} */
  const names = { kind: 'KIND_VERSION', kindNodeImage: 'KIND_NODE_IMAGE', ingressNginxChart: 'INGRESS_NGINX_CHART_VERSION', osm: 'OSM_VERSION', helm: 'HELM_VERSION', kubectl: 'KUBECTL_VERSION' };
  return Object.entries(v).map(([k, val]) => `${names[k] ?? k.toUpperCase()}=${val}`).join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--shell') process.stdout.write(`${shellAssignments()}\n`);
  else process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
}
