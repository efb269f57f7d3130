// Requirement (issue 15, §4, §6 and §7): `check` reports the mesh's certificate provider and its root's validity
// (warn under 30 days); when Flagger runs, whether its mesh provider is this mesh's and its metrics server answers;
// and, when the mesh's Grafana is deployed, whether its Prometheus data source answers. Each line is proven by a
// named fault that turns it (and only it) from ok to warn or fail: root-ca-expiring, vault-sealed,
// cert-manager-issuer-not-ready, flagger-default-provider,
// flagger-default-metrics-server, grafana-datasource-wrong-port; and, when Dapr runs, its control plane and the port
// exclusions OSM's Dapr guidance requires of Dapr-enabled pods in the mesh: dapr-placement-down, dapr-ports-intercepted.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { ReadinessLine, ReadinessReport } from '../harness/readiness/readiness-result.ts';

const root = join(import.meta.dirname, '..');

interface CheckRun { code: number | null; report: ReadinessReport; stderr: string }

/** `check --target local -o json` on a fresh simulated kind cluster with the given faults. */
function check(faults: string[]): Promise<CheckRun> {
  const args = ['bin/mesh-conformance.js', 'check', '--target', 'local', '-o', 'json', ...faults.flatMap((f) => ['--sim-fault', f])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, report: JSON.parse(stdout) as ReadinessReport, stderr })));
}

const lines = (r: ReadinessReport): ReadinessLine[] => r.categories.flatMap((c) => c.lines);
const notOk = (r: ReadinessReport): string[] => lines(r).filter((l) => l.status !== 'ok').map((l) => `${l.id}: ${l.status}`);
const line = (r: ReadinessReport, id: string): ReadinessLine | undefined => lines(r).find((l) => l.id === id);

test.describe('check: certificates, Flagger, Dapr and Grafana', () => {
  test('a healthy kind cluster: the provider, its root and Grafana\'s data source are ok', async () => {
    const run = await check([]);
    expect(run.code, run.stderr).toBe(0);
    expect(notOk(run.report)).toEqual([]);
    expect(line(run.report, 'certificates/provider')?.message).toContain('Tresor');
    expect(line(run.report, 'flagger/osm-system/flagger/provider')?.message).toContain('-mesh-provider=osm: canaries are routed with SMI TrafficSplit');
    expect(line(run.report, 'flagger/osm-system/flagger/metrics-server')?.message).toMatch(/^Flagger's metrics server http:\/\/osm-prometheus\.osm-system\.svc:7070 answers as Prometheus /);
    expect(line(run.report, 'dapr/control-plane')?.message).toMatch(/^Dapr's control plane in dapr-system: dapr-operator, dapr-sentry, dapr-sidecar-injector ready/);
    expect(line(run.report, 'dapr/mtls')?.message).toBe('Dapr\'s own mTLS is off (Configuration dapr-system/daprsystem spec.mtls.enabled=false): Open Service Mesh (OSM) provides mTLS between the pods');
    expect(line(run.report, 'metrics/grafana/Prometheus')?.message).toMatch(/^Grafana 8\.2\.2 answers; its data source Prometheus \(http:\/\/osm-prometheus\.osm-system\.svc:7070\) answers as Prometheus /);
  });

  test('root-ca-expiring: only the root CA line warns, with its expiry; exit 0', async () => {
    const run = await check(['root-ca-expiring']);
    expect(run.code, run.stderr).toBe(0);
    expect(notOk(run.report)).toEqual(['certificates/root-ca: warn']);
    expect(line(run.report, 'certificates/root-ca')?.message).toMatch(/expires on \S+, in 9d \d+h \(under 30 days\) \(Secret osm-system\/osm-ca-bundle key ca\.crt\)/);
  });

  test('vault-sealed: the provider line names Vault, and only the Vault line fails, as sealed; exit 1', async () => {
    const run = await check(['vault-sealed']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['certificates/vault: fail']);
    expect(line(run.report, 'certificates/provider')?.message).toContain('Vault');
    expect(line(run.report, 'certificates/vault')?.message).toBe('Vault vault/vault:8200 is sealed: OSM cannot issue certificates');
    expect(line(run.report, 'certificates/vault')?.hint).toContain('vault operator unseal');
  });

  test('cert-manager-issuer-not-ready: only the cert-manager line fails, with cert-manager\'s reason; exit 1', async () => {
    const run = await check(['cert-manager-issuer-not-ready']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['certificates/cert-manager: fail']);
    expect(line(run.report, 'certificates/provider')?.message).toContain('cert-manager');
    expect(line(run.report, 'certificates/cert-manager')?.message).toBe('Issuer osm-system/osm-ca not Ready (ErrGetKeyPair: Error getting keypair for CA issuer: secret "osm-ca-key-pair" not found)');
  });

  test('grafana-datasource-wrong-port: only the Grafana line fails, naming the data source, the Service port and the answer; exit 1', async () => {
    const run = await check(['grafana-datasource-wrong-port']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['metrics/grafana/Prometheus: fail']);
    const l = line(run.report, 'metrics/grafana/Prometheus');
    expect(l?.message).toContain('Grafana\'s data source Prometheus (http://osm-prometheus.osm-system.svc:9090, ConfigMap osm-system/osm-grafana-datasources key prometheus.yaml) does not answer');
    expect(l?.message).toContain('(Service osm-system/osm-prometheus port 9090) answered 503: ServiceUnavailable: no endpoints available for service "osm-prometheus"');
    expect(l?.hint).toContain('point the data source at the mesh\'s Prometheus');
  });

  test('flagger-default-provider: only the Flagger provider line fails, naming the default it fell back to; exit 1', async () => {
    const run = await check(['flagger-default-provider']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['flagger/osm-system/flagger/provider: fail']);
    const l = line(run.report, 'flagger/osm-system/flagger/provider');
    expect(l?.message).toContain('Flagger osm-system/flagger runs with -mesh-provider=istio (the default: the flag is absent), not osm');
    expect(l?.hint).toContain('--set meshProvider=osm');
  });

  test('flagger-default-metrics-server: only the Flagger metrics-server line fails, naming the missing Service; exit 1', async () => {
    const run = await check(['flagger-default-metrics-server']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['flagger/osm-system/flagger/metrics-server: fail']);
    const l = line(run.report, 'flagger/osm-system/flagger/metrics-server');
    expect(l?.message).toBe('Flagger\'s metrics server http://prometheus:9090 does not answer: Service osm-system/prometheus not found');
    expect(l?.hint).toContain('http://osm-prometheus.osm-system.svc:7070');
  });

  test('dapr-placement-down: only the Dapr control-plane line fails, naming the placement server; exit 1', async () => {
    const run = await check(['dapr-placement-down']);
    expect(run.code, run.stderr).toBe(1);
    expect(notOk(run.report)).toEqual(['dapr/control-plane: fail']);
    expect(line(run.report, 'dapr/control-plane')?.message).toBe('Dapr\'s control plane in dapr-system is not ready: Service dapr-placement-server has no ready endpoint');
    expect(line(run.report, 'dapr/ports')?.message).toMatch(/^no Dapr-enabled pod with the envoy sidecar in the mesh's namespaces/);
  });

  test('dapr-mtls-enabled: only the Dapr mTLS line warns, with OSM\'s guidance; exit 0', async () => {
    const run = await check(['dapr-mtls-enabled']);
    expect(run.code, run.stderr).toBe(0);
    expect(notOk(run.report)).toEqual(['dapr/mtls: warn']);
    expect(line(run.report, 'dapr/mtls')?.message).toBe('Dapr\'s own mTLS is on (Configuration dapr-system/daprsystem spec.mtls.enabled=true): OSM\'s Dapr guide installs Dapr with mTLS off (`dapr init -k --enable-mtls=false`), since OSM\'s sidecars already provide mTLS between pods');
    expect(line(run.report, 'dapr/mtls')?.hint).toContain('global.mtls.enabled=false');
  });

  test('dapr-ports-intercepted: only the line of the demo pod that excludes just port 80 fails, naming 8201 and 50005; exit 1', async () => {
    const run = await check(['dapr-ports-intercepted']);
    expect(run.code, run.stderr).toBe(1);
    const failed = notOk(run.report);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^dapr\/ports\/dapr-demo\/nodeapp-[a-z0-9]+-[a-z0-9]+: fail$/);
    const bad = lines(run.report).find((l) => l.status === 'fail');
    expect(bad?.message).toContain('runs Dapr and the envoy sidecar, but outbound ports 8201, 50005 of Dapr\'s control plane (dapr-placement-server 50005/8201, dapr-api 80, dapr-sentry 80) are not excluded');
    expect(bad?.hint).toContain('openservicemesh.io/outbound-port-exclusion-list: "8201,50005"');
    expect(lines(run.report).find((l) => l.id.startsWith('dapr/ports/dapr-demo/pythonapp-'))?.status).toBe('ok');
    expect(line(run.report, 'dapr/control-plane')?.status).toBe('ok');
  });
});
