/** What the simulator announces once it serves, beyond the kubeconfig, context, server and flavor. */

/** What a flavor's components offer clients beyond the kubeconfig (each optional, added by the component that offers it). */
export interface ReadyOffers {
  /** Azure Monitor's Log Analytics query API (aks): endpoint, workspace, and the bearer-token and CA files. */
  logAnalytics?: { endpoint: string; workspaceId: string; tokenFile: string; caFile: string };
  /** The Azure Application Gateway's frontend (aks), as `http://<address>:<port>`. */
  appGateway?: { address: string; port: number };
}
