// Requirement (issue 15, §1, §2 and §5's readiness): `check` on an AKS cluster judges Application Gateway for Containers
// (GatewayClass, ALB controller, ApplicationLoadBalancer), flags an AGIC Ingress in front of a backend whose
// IngressBackend expects TLS, which AGIC cannot speak, and reports the MeshConfig's external authorization: whether its
// service answers, and a warning when it fails open; against the simulated aks cluster, changed step by step.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { startSimulator } from '../cli/simulator-process.ts';
import type { RunningSimulator } from '../cli/simulator-process.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import type { ReadinessReport } from '../harness/readiness/readiness-result.ts';

const root = join(import.meta.dirname, '..');
const budget = { budgetMs: 15_000 };

function check(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/mesh-conformance.js', 'check', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
const linesOf = (r: ReadinessReport) => r.categories.flatMap((c) => c.lines);
const lineOf = (r: ReadinessReport, id: string) => linesOf(r).find((l) => l.id === id);

test.describe('check on aks: Application Gateway for Containers, AGIC\'s HTTP-only limit, external authorization', () => {
  test.describe.configure({ mode: 'serial' });
  let dir = '';
  let sim: RunningSimulator | undefined;
  let client: KubeClient;
  let target: string[] = [];

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-check-aks-'));
    sim = await startSimulator({ flavor: 'aks', kubeconfig: join(dir, 'kubeconfig'), faults: [] });
    client = KubeClient.connect({ kubeconfig: sim.ready.kubeconfig, context: sim.ready.context });
    target = ['--target', 'aks', '--kubeconfig', sim.ready.kubeconfig, '--context', sim.ready.context, '-o', 'json'];
  });

  test.afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('agc: the GatewayClass, the ALB controller and a deployed ApplicationLoadBalancer pass; a missing one fails with what to do', async () => {
    const ready = await check([...target, '--ingress', 'agc']);
    const report = JSON.parse(ready.stdout) as ReadinessReport;
    expect(lineOf(report, 'ingress/class'), ready.stdout).toMatchObject({ status: 'ok', message: 'GatewayClass azure-alb-external is Accepted (Valid GatewayClass)' });
    expect(lineOf(report, 'ingress/alb-controller')).toMatchObject({ status: 'ok' });
    expect(lineOf(report, 'ingress/application-load-balancer')).toMatchObject({ status: 'ok', message: expect.stringContaining('ApplicationLoadBalancer alb-test-infra/alb-test is deployed') });

    const other = await check([...target, '--ingress', 'agc', '--application-load-balancer', 'alb-test-infra/other']);
    expect(other.code, other.stderr).toBe(1);
    const missing = lineOf(JSON.parse(other.stdout) as ReadinessReport, 'ingress/application-load-balancer');
    expect(missing).toMatchObject({ status: 'fail', message: 'ApplicationLoadBalancer alb-test-infra/other not found: the Gateways the run creates bind to it' });
    expect(missing?.hint).toContain('--application-load-balancer');
  });

  test('agic: an AGIC Ingress in front of an IngressBackend with protocol https fails with the guide\'s reason; over http it passes', async () => {
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, budget);
    await client.apply({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop', annotations: { 'kubernetes.io/ingress.class': 'azure/application-gateway' } },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8443 } } } }] } }] },
    }, budget);
    const ingressBackend = (protocol: string) => ({
      apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', metadata: { name: 'web', namespace: 'shop' },
      spec: { backends: [{ name: 'web', port: { number: 8443, protocol } }], sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }] },
    });
    await client.apply(ingressBackend('https'), budget);
    const flagged = await check([...target, '--ingress', 'agic']);
    expect(flagged.code, flagged.stderr).toBe(1);
    const line = lineOf(JSON.parse(flagged.stdout) as ReadinessReport, 'ingress/agic-tls-backends/shop/web');
    expect(line, flagged.stdout).toMatchObject({ status: 'fail' });
    expect(line?.message).toBe('Ingress shop/web (AGIC) routes to Service shop/web, whose IngressBackend shop/web expects TLS from the ingress (protocol https): AGIC sends plain HTTP, so these requests fail');
    expect(line?.hint).toMatch(/AGIC works only with HTTP backends .*use Application Gateway for Containers \(ingress profile agc\) or ingress-nginx with mTLS/);

    await client.apply(ingressBackend('http'), budget);
    const fine = JSON.parse((await check([...target, '--ingress', 'agic'])).stdout) as ReadinessReport;
    expect(lineOf(fine, 'ingress/agic-tls-backends')).toMatchObject({ status: 'ok', message: 'no AGIC Ingress routes to a backend that expects TLS (1 AGIC Ingress, 0 TLS backend policies)' });
  });

  test('external authorization: a missing service fails with what follows, fail-open warns, a served port with a ready endpoint passes', async () => {
    const meshConfig = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'kube-system', name: 'osm-mesh-config' };
    const extAuthz = (spec: Record<string, unknown>) => client.patch(meshConfig, { spec: { traffic: { inboundExternalAuthorization: spec } } }, { ...budget, strategy: PatchStrategy.MergePatch });
    await extAuthz({ enable: true, address: 'opa.opa.svc.cluster.local', port: 9191, timeout: '1s', failureModeAllow: true });
    const down = await check(target);
    expect(down.code, down.stderr).toBe(1);
    const report = JSON.parse(down.stdout) as ReadinessReport;
    expect(lineOf(report, 'mesh-config/external-authorization')).toMatchObject({ status: 'ok', message: 'inbound external authorization: on (opa.opa.svc.cluster.local:9191, timeout 1s, failureModeAllow true): sidecars ask it about every inbound request' });
    expect(lineOf(report, 'mesh-config/external-authorization/service')).toMatchObject({
      status: 'fail', message: 'the authorization service opa.opa.svc.cluster.local:9191 does not answer: Service opa/opa not found, so every inbound request is let through unchecked (failureModeAllow: true)',
    });
    expect(lineOf(report, 'mesh-config/external-authorization/failure-mode-allow')).toMatchObject({ status: 'warn' });

    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'opa' } }, budget);
    await client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'opa', namespace: 'opa' }, spec: { ports: [{ name: 'grpc', port: 9191 }] } }, budget);
    await extAuthz({ failureModeAllow: false });
    const noEndpoints = JSON.parse((await check(target)).stdout) as ReadinessReport;
    expect(lineOf(noEndpoints, 'mesh-config/external-authorization/service')).toMatchObject({
      status: 'fail', message: 'the authorization service opa.opa.svc.cluster.local:9191 does not answer: Service opa/opa has no ready endpoints, so every inbound request is denied, the ingress check\'s too',
    });
    expect(lineOf(noEndpoints, 'mesh-config/external-authorization/failure-mode-allow')).toBeUndefined();

    await client.apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'opa', namespace: 'opa' }, subsets: [{ addresses: [{ ip: '10.244.1.77' }], ports: [{ name: 'grpc', port: 9191 }] }] }, budget);
    const up = JSON.parse((await check(target)).stdout) as ReadinessReport;
    expect(lineOf(up, 'mesh-config/external-authorization/service')).toMatchObject({ status: 'ok', message: 'the authorization service Service opa/opa serves port 9191 with 1 ready endpoint' });
    await extAuthz({ enable: false });
    expect(lineOf(JSON.parse((await check(target)).stdout) as ReadinessReport, 'mesh-config/external-authorization')).toMatchObject({ status: 'ok', message: 'inbound external authorization: off' });
  });
});
