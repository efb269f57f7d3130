// Which command-line tools a set-up script needs, and how to install each one (with the pinned versions).
import { versions as osmVersions } from './versions.mjs';

/**
 * How to install each tool on Linux/macOS, with the versions pinned in versions.mjs where it matters.
 * @param {Readonly<Record<string, string>>} [v] the pins of the environment being set up (versionsFor(mesh))
 * @returns {Readonly<Record<string, string>>}
 */
export function installHints(v = osmVersions) {
  const osm = v.osm ?? osmVersions.osm;
  return {
    docker: 'install Docker Engine or Docker Desktop: https://docs.docker.com/engine/install/ (and start it)',
    kind: `go install sigs.k8s.io/kind@${v.kind}, or: curl -Lo kind https://kind.sigs.k8s.io/dl/${v.kind}/kind-linux-amd64 && chmod +x kind && sudo mv kind /usr/local/bin/ (macOS: brew install kind)`,
    kubectl: `curl -LO https://dl.k8s.io/release/${v.kubectl}/bin/linux/amd64/kubectl && chmod +x kubectl && sudo mv kubectl /usr/local/bin/ (or https://kubernetes.io/docs/tasks/tools/)`,
    helm: `curl -fsSL https://get.helm.sh/helm-${v.helm}-linux-amd64.tar.gz | tar -xz && sudo mv linux-amd64/helm /usr/local/bin/ (macOS: brew install helm)`,
    osm: `curl -fsSL https://github.com/openservicemesh/osm/releases/download/${osm}/osm-${osm}-linux-amd64.tar.gz | tar -xz && sudo mv linux-amd64/osm /usr/local/bin/ (macOS: the darwin-arm64 or darwin-amd64 archive)`,
    az: 'install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli (then `az login`)',
  };
}

/**
 * Returns one line per missing tool with how to install it (empty when all are there).
 * @param {string[]} names
 * @param {(name: string) => Promise<boolean>} has
 * @param {Readonly<Record<string, string>>} [v] the pins the hints name
 * @returns {Promise<string[]>}
 */
export async function missingTools(names, has, v = osmVersions) {
  const hints = installHints(v);
  const missing = [];
  for (const name of names) if (!(await has(name))) missing.push(`${name} not found on PATH: ${hints[name] ?? 'install it'}`);
  return missing;
}
