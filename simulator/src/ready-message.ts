/**
 * The one line main.ts prints once the cluster serves: `simulator ready <JSON>`, the JSON object a ReadyMessage.
 * cli/simulator-process.ts parses it (it never imports this file, so keep the two in step; simulator/README.md,
 * "Start it", documents the fields). JSON keeps paths with spaces intact.
 */

/** What a flavor's components offer clients beyond the kubeconfig (each optional, added by the component that offers it). */
export interface ReadyOffers {
  /** Azure Monitor's Log Analytics query API (aks): endpoint, workspace, and the bearer-token and CA files. */
  logAnalytics?: { endpoint: string; workspaceId: string; tokenFile: string; caFile: string };
  /** The Azure Application Gateway's frontend (aks), as `http://<address>:<port>`. */
  appGateway?: { address: string; port: number };
  /** Application Gateway for Containers (aks): the DNS server (`ip:port`) that resolves its frontends' FQDNs. */
  agc?: { dnsServer: string };
  /** Azure Monitor managed Prometheus (istio-aks): the query endpoint, the bearer-token and CA files, the `cluster` label. */
  managedPrometheus?: { endpoint: string; tokenFile: string; caFile: string; cluster: string };
  /** The AKS management endpoint (aks, scenario osm-migration-demo): what `mesh-conformance sim-az` sends `az aks` operations to. */
  aksManagement?: { endpoint: string; resourceId: string; tokenFile: string; caFile: string };
}

export interface ReadyMessage extends ReadyOffers {
  /** Absolute path of the kubeconfig written. */
  kubeconfig: string;
  context: string;
  server: string;
  /** The cluster shape (`kind`, `aks`). */
  flavor: string;
  /** The mesh it runs (`osm`, `istio`). */
  mesh: string;
  /** `upstream` when the real Kubernetes control plane runs the cluster (absent: our embedded API server). */
  controlPlane?: string;
  /** `upstream` when the mesh's real control plane runs (Istio's istiod; absent: our emulation). */
  meshControlPlane?: string;
}

export const readyPrefix = 'simulator ready ';

/** The ready line for `message`. */
export function formatReadyLine(message: ReadyMessage): string {
  return `${readyPrefix}${JSON.stringify(message)}`;
}
