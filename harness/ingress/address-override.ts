/**
 * The base URL of an `ingressAddress` override (`localhost`, `127.0.0.1:8080`, `http://gw.example`): use it when the
 * address an Ingress publishes is not reachable from where the harness runs (kind behind Docker's NAT on macOS, a
 * private Application Gateway reached through a tunnel). The Ingress must still publish an address: that proves
 * the controller took it.
 */
export function ingressBaseUrl(override: string): string {
  const withScheme = /^https?:\/\//i.test(override) ? override : `http://${override}`;
  return withScheme.replace(/\/+$/, '');
}
