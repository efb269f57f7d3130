// Check `workload-identity` (extended): the httpbin sidecar presents a certificate the mesh's CA issued, for the
// identity the mesh assigns its service account, valid for the configured duration. It reads the certificate as
// `istioctl proxy-config secret` and `osm proxy get config_dump` do: through a port-forward to the proxy's Envoy admin
// port, which is bound to the pod's localhost.
import type { CheckBody, ForwardedPort } from '../../fixtures/index.ts';
import { findSamplePod } from './sample-pod.ts';
import {
  describeCertificate, expect, forwardPodPort, getThroughForward, identityProblem, intervals, issuerProblem, parseBundle,
  secretsFromConfigDump, test, validityProblem, waitFor,
} from '../../fixtures/index.ts';

export const workloadIdentityCheck: CheckBody = async ({ cluster, ns, mesh, conformanceConfig: config }) => {
  const budgetMs = config.timeouts.apply;
  const certs = mesh.workloadCertificates;
  if (!certs) throw new Error(`the ${mesh.title} profile lists the feature workload-identity but describes no workload certificates`);
  const sample = mesh.sample;

  const pod = await findSamplePod(cluster, ns.name, sample, budgetMs);
  const podName = pod.metadata?.name ?? '';
  const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
  const secretName = certs.secretName(ns.name, serviceAccount);
  const subject = `Pod ${ns.name}/${podName} sidecar certificate (SDS secret ${secretName})`;

  let forward: ForwardedPort | undefined;
  try {
    forward = await test.step(`setup: port-forward to the sidecar's admin port ${certs.adminPort} (bound to the pod's localhost)`,
      () => forwardPodPort(cluster.kubeConfig, ns.name, podName, certs.adminPort));
    const fwd = forward;
    const chainPem = await test.step(`assess: the sidecar holds its workload certificate (${secretName} in /config_dump)`, async () => {
      const { value } = await waitFor<string>({
        description: `the sidecar of Pod ${ns.name}/${podName} to hold SDS secret ${secretName} (GET /config_dump through ${fwd.where})`,
        timeoutMs: config.timeouts.assert, intervalMs: intervals.httpRetry,
        probe: async () => {
          const res = await getThroughForward(fwd, '/config_dump', { timeoutMs: budgetMs });
          if (res.status !== 200) return { done: false, observed: `GET /config_dump → ${res.status}` };
          const secrets = secretsFromConfigDump(res.body);
          const secret = secrets.find((s) => s.name === secretName);
          const names = secrets.map((s) => s.name).join(', ') || 'none';
          if (!secret) return { done: false, observed: `secrets in the config dump: ${names}` };
          if (secret.kind !== 'tls_certificate' || !secret.pem) return { done: false, observed: `secret ${secretName} is a ${secret.kind} without an inline certificate chain` };
          return { done: true, observed: `secret ${secretName} present`, value: secret.pem };
        },
      });
      return value ?? '';
    });
    const [leaf] = parseBundle(chainPem, subject);
    process.stdout.write(`workload-identity: ${subject}: ${describeCertificate(leaf!)}\n`);

    await test.step('assess: the certificate was issued by the mesh\'s CA', async () => {
      const anchors = await certs.trustAnchors(cluster, ns.name, budgetMs);
      expect('problem' in anchors ? anchors.problem : undefined, `${subject}: cannot read the mesh's root to compare with`).toBeUndefined();
      if ('problem' in anchors) return;
      const roots = parseBundle(anchors.pem, anchors.source);
      const problem = issuerProblem(leaf!, roots, anchors.source);
      expect(problem, `${subject} was expected to be issued by the mesh's CA (${anchors.source}), but ${problem ?? ''}`).toBeUndefined();
    });

    await test.step(`assess: its identity is the one the mesh assigns service account ${serviceAccount}`, () => {
      const expected = certs.identity(ns.name, serviceAccount);
      const problem = identityProblem(leaf!, expected);
      expect(problem, `${subject} was expected to carry ${expected.sanType}:${expected.value}, but ${problem ?? ''}`).toBeUndefined();
    });

    await test.step('assess: its validity matches the configured duration', async () => {
      const configured = await certs.validity(cluster, pod, budgetMs);
      const problem = validityProblem(leaf!, configured, new Date());
      expect(problem, `${subject} was expected to be valid for the configured duration, but ${problem ?? ''}`).toBeUndefined();
    });
  } finally {
    await forward?.close();
  }
};
