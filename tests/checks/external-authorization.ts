// Check `external-authorization` (extended): the sidecar asks the mesh's external authorization service about every
// inbound request (Envoy's ext_authz filter): the deny probe (a path and a header the policy denies, from the
// configuration) gets 403, the same request without the header gets 200 through the sidecar. When the mesh has it
// off, the check turns it on with the authorization service the mesh's docs deploy (a cluster-wide change the user
// must allow, restored after the check by the clusterChanges fixture); docs/external-authorization.md.
import type { CheckBody } from '../../fixtures/index.ts';
import {
  expectOkThroughSidecar, ingressBaseUrl, ingressHostFor, intervals, requireConsecutive, runLabels, test, waitForVerdict,
} from '../../fixtures/index.ts';

/** `x-name: value` → ['x-name', 'value'] (the config schema checked the shape). */
function parseHeader(text: string): [string, string] {
  const at = text.indexOf(':');
  return [text.slice(0, at).trim().toLowerCase(), text.slice(at + 1).trim()];
}

export const externalAuthorizationCheck: CheckBody = async ({ cluster, ns, mesh, ingressController, http, runId, clusterChanges, conformanceConfig: config }, testInfo) => {
  if (!ingressController) {
    testInfo.skip(true, 'ingress profile none: the check sends its requests through the ingress (set ingress: to the cluster\'s controller to check it)');
    return;
  }
  const ext = mesh.externalAuthorization;
  if (!ext) throw new Error(`the ${mesh.title} profile lists the feature external-authorization but describes no external authorization`);
  const budgetMs = config.timeouts.apply;
  const times = config.consecutiveSuccesses;
  const sample = mesh.sample;
  const [headerName, headerValue] = parseHeader(config.extAuthzDenyHeader);
  const denyPath = config.extAuthzDenyPath;

  try {
    const state = await test.step('setup: the mesh\'s sidecars ask an external authorization service', async () => {
      const now = await ext.current(cluster, budgetMs);
      if (!now) throw new Error(`the object that holds ${mesh.title}'s external authorization settings does not exist`);
      if (now.enabled) return now;
      const applied = await clusterChanges.apply(ext.enable());
      process.stdout.write(`external-authorization: ${applied.description} (${now.source}; restored after the check)\n`);
      const after = await ext.current(cluster, budgetMs);
      if (!after?.enabled) throw new Error(`${now.source} still has inbound external authorization off after the run turned it on`);
      return after;
    });
    const service = `${state.address}:${state.port} (failureModeAllow ${String(state.failureModeAllow)}, timeout ${state.timeout ?? 'unset'}, ${state.source})`;

    // The ingress check routed the sample through the ingress; its route and policy stay until the namespace goes.
    const host = ingressHostFor(ns.name);
    const route = ingressController.route({ namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, labels: runLabels(runId), host });
    const address = await test.step('setup: the ingress route of the sample has an address', async () => {
      const { value } = await waitForVerdict(cluster, route.address, { timeoutMs: config.timeouts.assert });
      if (!value) throw new Error(`${route.address.type.kind} ${ns.name}/${route.address.name} has no address`);
      return value;
    });
    const base = config.ingressAddress ? ingressBaseUrl(config.ingressAddress) : address.url;
    const denyUrl = `${base}${denyPath}`;

    await test.step(`assess: GET ${denyPath} with ${headerName}: ${headerValue} (the policy denies it) answers 403 ${times} times in a row`, async () => {
      await requireConsecutive({
        description: `GET ${denyUrl} (Host: ${host}, ${headerName}: ${headerValue}) to be denied with 403 by the sidecar's external authorization (${service})`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: async (signal) => {
          const res = await http.send('GET', denyUrl, { timeoutMs: intervals.httpRequest, signal, host, headers: { [headerName]: headerValue } });
          const observed = `GET ${denyPath} with ${headerName} → ${res.status} (${res.elapsedMs}ms)${res.status === 200 ? ': the request was let through' : ''}`;
          return { ok: res.status === 403, observed };
        },
      });
    });

    await test.step(`assess: HEAD and GET ${denyPath} without the header (the policy allows it) return 200 through the sidecar ${times} times in a row`, async () => {
      await requireConsecutive({
        description: `HEAD and GET ${denyUrl} (Host: ${host}) without ${headerName} to be allowed by the external authorization (${service}) and return 200 ${mesh.ingressPolicy.throughSidecarDescription}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: expectOkThroughSidecar(http, denyUrl, (res) => mesh.ingressPolicy.throughSidecar({
          namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, labels: runLabels(runId), backendResetStatuses: [],
          source: { kind: 'IPRange', cidr: '0.0.0.0/0' },
        }, res), intervals.httpRequest, host),
      });
    });
  } finally {
    if (http.recent.length) await testInfo.attach('http exchanges', { body: JSON.stringify(http.recent, null, 2), contentType: 'application/json' });
  }
};
