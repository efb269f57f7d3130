// Check `ingress-mtls` (extended): ingress over mTLS, as OSM's own e2e test does it after its plain-HTTP steps
// (osm.md §8 step 7): the mesh issues the ingress a client certificate (a cluster-wide setting, allowed by name and
// restored after the check), the mesh's policy then admits the ingress only over TLS with that identity: plain HTTP
// from the ingress is refused, and once the ingress presents the certificate, GET returns 200 through the sidecar.
import type { V1Secret } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import { applyIngressPolicy, ingressRouteContext } from './ingress-policy.ts';
import { findSamplePod } from './sample-pod.ts';
import {
  answerStatuses, expectAnswer, expectOkThroughSidecar, ingressBaseUrl, intervals, parseBundle, requireConsecutive, runLabels, test,
  waitForObject, waitForVerdict,
} from '../../fixtures/index.ts';

const secretType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true } as const;

export const ingressMtlsCheck: CheckBody = async ({ cluster, ns, mesh, ingressController, http, runId, clusterChanges, conformanceConfig: config }, testInfo) => {
  // MeshConfig names one Secret for the ingress's certificate: copies of the flow would take it from each other.
  testInfo.skip(config.parallelism > 1 && testInfo.repeatEachIndex > 0,
    `the mesh issues one ingress gateway certificate per cluster (its configuration names one Secret): checked in the first of the run's ${config.parallelism} copies`);
  const mtls = mesh.ingressMtls;
  if (!mtls) throw new Error(`the ${mesh.title} profile lists the feature ingress-mtls but describes no ingress mTLS`);
  if (!ingressController?.mtlsRoute) throw new Error(`the ingress profile ${ingressController?.title ?? 'none'} lists the feature ingress-mtls but builds no mTLS route`);
  const { budgetMs, times, sample, policy, host, routeRequest } = ingressRouteContext({ ns, mesh, runId, conformanceConfig: config });

  try {
    const pod = await findSamplePod(cluster, ns.name, sample, budgetMs);
    const source = await ingressController.source(cluster, routeRequest, budgetMs);
    const principal = mtls.principal(source);
    const gateway = mtls.gatewayCertificate({ namespace: ns.name, principal });
    const secretName = `${gateway.secret.namespace}/${gateway.secret.name}`;

    await test.step(`setup: ${gateway.change.description} (cluster-wide, restored after the check)`, async () => {
      await clusterChanges.apply(gateway.change);
    });
    await test.step(`assess: the mesh issues the ingress's client certificate for ${principal} into Secret ${secretName}`, async () => {
      await waitForObject<V1Secret, true>(cluster, secretType, gateway.secret.namespace, gateway.secret.name,
        `Secret ${secretName} to hold ${gateway.keys.join(', ')} with a certificate for DNS:${principal}`,
        (secret) => {
          if (!secret) return { done: false, observed: `Secret ${secretName} not found` };
          const missing = gateway.keys.filter((k) => !secret.data?.[k]);
          if (missing.length) return { done: false, observed: `Secret ${secretName} has no ${missing.join(', ')}` };
          const [leaf] = parseBundle(Buffer.from(secret.data?.[gateway.certificateKey] ?? '', 'base64').toString('utf8'), `Secret ${secretName} key ${gateway.certificateKey}`);
          const sans = leaf?.subjectAltName ?? '';
          if (!sans.split(',').map((s) => s.trim()).includes(`DNS:${principal}`)) return { done: false, observed: `its certificate's SAN is [${sans}]` };
          return { done: true, observed: `issued for DNS:${principal}`, value: true };
        }, { timeoutMs: config.timeouts.assert });
    });

    const policyRequest = {
      namespace: ns.name, name: sample.name, service: sample.name, port: sample.port, source, labels: runLabels(runId),
      backendResetStatuses: ingressController.backendResetStatuses ?? [502],
    };
    await applyIngressPolicy({ cluster, ns, mesh, conformanceConfig: config }, mtls.admit(policyRequest, principal), `the ingress only over TLS as ${principal}`);

    const address = await test.step('assess: the ingress has an address', async () => {
      const { value } = await waitForVerdict(cluster, ingressController.route(routeRequest).address, { timeoutMs: config.timeouts.assert });
      if (!value) throw new Error(`Ingress ${ns.name}/${sample.name} has no address`);
      return value;
    });
    const url = `${config.ingressAddress ? ingressBaseUrl(config.ingressAddress) : address.url}/get`;

    // The route as the core check left it speaks plain HTTP to the backend: the sidecar's TLS filter chain refuses it.
    const refused = mtls.plainRefused(policyRequest);
    await test.step(`assess: while the ingress speaks plain HTTP to the backend, ${url} answers ${refused.description}`, async () => {
      await requireConsecutive({
        description: `GET ${url} (Host: ${host}) over plain HTTP to the backend to return ${answerStatuses(refused)}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: expectAnswer(http, url, refused, intervals.httpRequest, host),
      });
    });

    const backendName = mtls.backendName(ns.name, pod.spec?.serviceAccountName ?? 'default');
    const route = ingressController.mtlsRoute(routeRequest, { secret: gateway.secret, backendName });
    await test.step(`setup: route ${host} over mTLS (client certificate from Secret ${secretName}, backend verified as ${backendName})`, async () => {
      for (const obj of route.objects) ns.cleanup.register(await cluster.apply(obj, { budgetMs }));
    });
    for (const v of route.accepted) {
      await test.step(`assess: ${v.description}`, async () => {
        await waitForVerdict(cluster, v, { timeoutMs: config.timeouts.assert });
      });
    }

    await test.step(`assess: HEAD and GET ${url} return 200 through the sidecar over mTLS ${times} times in a row`, async () => {
      await requireConsecutive({
        description: `HEAD and GET ${url} (Host: ${host}) over mTLS to the backend to return 200 ${policy.throughSidecarDescription}`, times,
        timeoutMs: config.timeouts.http, retryIntervalMs: intervals.httpRetry,
        attempt: expectOkThroughSidecar(http, url, (res) => policy.throughSidecar(policyRequest, res), intervals.httpRequest, host, (res) => mtls.principalRefused(res, principal)),
      });
    });
  } finally {
    if (http.recent.length) await testInfo.attach('http exchanges', { body: JSON.stringify(http.recent, null, 2), contentType: 'application/json' });
  }
};
