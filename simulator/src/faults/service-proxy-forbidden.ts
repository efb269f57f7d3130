/** `services/proxy` answers 403 Forbidden, as for a user whose RBAC lacks the proxy verb: clients must port-forward. */
import type { ProxyHandler } from '../api/resource-handler.ts';
import { defineFault } from './fault.ts';

/** kube-apiserver's answer to a user whose RBAC lacks `services/proxy`. */
const forbiddenServiceProxy: ProxyHandler = (_req, res, target) => {
  const message = `services "${target.name}" is forbidden: User "mesh-conformance" cannot get resource "services/proxy" in API group "" in the namespace "${target.namespace}"`;
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details: { name: target.name, kind: 'services' }, code: 403 });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

export const serviceProxyForbidden = defineFault({
  name: 'service-proxy-forbidden',
  outcome: 'pass',
  description: 'services/proxy answers 403 Forbidden (no RBAC for the proxy verb), so clients must port-forward instead',
  hooks: () => ({ api: { serviceProxy: () => forbiddenServiceProxy } }),
});
