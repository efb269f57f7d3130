import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meshFactory } from '../mesh/index.ts';
import { ConfigError, envLayer, resolveConfig } from './resolve-config.ts';
import { readRunConfig, runConfigEnv, runPaths, runnerEnv, writeRunConfig } from './run-config.ts';

const flags = (values: Record<string, unknown>) => ({ nameOf: (k: string) => `--${k}`, values });

describe('resolveConfig', () => {
  it('defaults to the local target with the kind profile', () => {
    const c = resolveConfig([envLayer({})]);
    assert.equal(c.target, 'local');
    assert.equal(c.flavor, 'kind');
    assert.equal(c.mesh, 'osm');
    assert.equal(c.meshNamespace, meshFactory('osm').defaults('kind').namespace);
    assert.equal(c.ingress, 'nginx');
    assert.equal(c.consecutiveSuccesses, 5);
    assert.equal(c.timeouts.rollout, 120_000);
  });

  it('derives the aks profile from the flavor (local) or the target', () => {
    for (const c of [resolveConfig([flags({ flavor: 'aks' })]), resolveConfig([flags({ target: 'aks' })])]) {
      assert.equal(c.flavor, 'aks');
      assert.equal(c.meshNamespace, 'kube-system');
      assert.equal(c.ingress, 'agic');
    }
  });

  it('lets later layers win and parses env values', () => {
    const c = resolveConfig([envLayer({ MESH_CONFORMANCE_TARGET: 'kind', MESH_CONFORMANCE_CONSECUTIVE_SUCCESSES: '3', MESH_CONFORMANCE_TIMEOUT_HTTP: '90s', KEEP_ON_FAILURE: '1' }), flags({ target: 'aks' })]);
    assert.equal(c.target, 'aks');
    assert.equal(c.consecutiveSuccesses, 3);
    assert.equal(c.timeouts.http, 90_000);
    assert.equal(c.keepOnFailure, true);
  });

  it('names the key, the allowed values and the source of an invalid value', () => {
    assert.throws(() => resolveConfig([envLayer({ MESH_CONFORMANCE_TARGET: 'minikube' })]), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, 'Invalid configuration: target must be one of local, kind, aks (got "minikube" from MESH_CONFORMANCE_TARGET)');
      return true;
    });
    assert.throws(() => resolveConfig([flags({ ingress: 'traefik' })]), /^ConfigError: Invalid configuration: ingress must be one of nginx, agic, agc, gateway-api, istio-gateway, none \(got "traefik" from --ingress\)$/);
    assert.throws(() => resolveConfig([flags({ consecutiveSuccesses: '0' })]), /consecutiveSuccesses must be a whole number from 1 to 100 \(got "0" from --consecutiveSuccesses\)/);
    assert.throws(() => resolveConfig([envLayer({ MESH_CONFORMANCE_TIMEOUT_ROLLOUT: 'soon' })]), /timeouts\.rollout must be a positive duration such as 90s, 2m or 1500 \(ms\), at most 24h \(got "soon" from MESH_CONFORMANCE_TIMEOUT_ROLLOUT\)/);
    assert.throws(() => resolveConfig([envLayer({ MESH_CONFORMANCE_KEEP_ON_FAILURE: 'maybe' })]), /keepOnFailure must be one of true, false, 1, 0/);
  });

  it('rejects a flavor with a real target', () => {
    assert.throws(() => resolveConfig([flags({ target: 'kind', flavor: 'aks' })]), /flavor applies only to target local/);
  });

  it('round-trips through the run\'s config file, credentials left in the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-config-'));
    try {
      const env = { MESH_CONFORMANCE_PROMETHEUS_TOKEN: 's3cret' };
      const c = resolveConfig([envLayer(env), flags({ target: 'kind', kubeconfig: '/k', context: 'kind-x', consecutiveSuccesses: '7', runId: 'r-1', reportDir: dir, prometheusUrl: 'http://p:9090', timeouts: { http: '90s' } })]);
      const file = writeRunConfig(c);
      assert.equal(file, runPaths(dir, 'r-1').config);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /s3cret/);
      assert.deepEqual(readRunConfig(file, env), c);
      assert.equal(readRunConfig(file, {}).metrics.prometheusToken, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a URL\'s credentials out of the run\'s config file; the runner gets them in its environment (issue 19, F1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-config-'));
    try {
      const url = 'http://u:pw-SECRET@p:9090/?api_key=key-SECRET';
      const endpoint = 'https://la.example/v1?sig=sig-SECRET';
      const c = resolveConfig([flags({ target: 'kind', kubeconfig: '/k', runId: 'r-2', reportDir: dir, prometheusUrl: url, logAnalyticsWorkspace: 'ws', logAnalyticsEndpoint: endpoint })]);
      const file = writeRunConfig(c);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /SECRET/);
      const env = runnerEnv(c, { PATH: '/bin', MESH_CONFORMANCE_PROMETHEUS_URL: 'http://stale' }, file);
      assert.equal(env[runConfigEnv], file);
      assert.equal(env.PATH, '/bin');
      const back = readRunConfig(file, env);
      assert.equal(back.metrics.prometheusUrl, url);
      assert.equal(back.metrics.logAnalytics?.endpoint, endpoint);
      // Without credentials the file holds the URL, and a stale variable of the caller does not override it.
      const plain = resolveConfig([flags({ target: 'kind', kubeconfig: '/k', runId: 'r-3', reportDir: dir, prometheusUrl: 'http://p:9090' })]);
      const plainFile = writeRunConfig(plain);
      assert.equal(readRunConfig(plainFile, runnerEnv(plain, { MESH_CONFORMANCE_PROMETHEUS_URL: 'http://stale' }, plainFile)).metrics.prometheusUrl, 'http://p:9090');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes an ingress profile\'s budgets over the defaults, and the user\'s over both', () => {
    assert.equal(resolveConfig([]).timeouts.assert, 60_000, 'local: the defaults');
    assert.equal(resolveConfig([flags({ target: 'kind' })]).timeouts.assert, 90_000, 'ingress-nginx on kind: one status interval and more');
    assert.equal(resolveConfig([flags({ target: 'aks' })]).timeouts.http, 600_000, 'AGIC on aks: gateway programming takes minutes');
    assert.equal(resolveConfig([flags({ target: 'aks', timeouts: { http: '3m' } })]).timeouts.http, 180_000, 'the user wins');
  });

  it('bounds durations, so a budget never overflows a timer', () => {
    assert.throws(() => resolveConfig([envLayer({ MESH_CONFORMANCE_TIMEOUT_ROLLOUT: '100000m' })]), /timeouts\.rollout must be a positive duration such as 90s, 2m or 1500 \(ms\), at most 24h/);
    assert.equal(resolveConfig([flags({ sweepTtl: '2h' })]).sweepTtl, 7_200_000);
    assert.equal(resolveConfig([flags({ sweepTtl: '0' })]).sweepTtl, 0);
  });

  it('allows cluster-wide changes only when asked, except on the simulated cluster', () => {
    assert.deepEqual(resolveConfig([flags({ target: 'kind' })]).clusterChanges, []);
    assert.deepEqual(resolveConfig([flags({ target: 'kind', allowClusterChanges: 'metrics-collection' })]).clusterChanges, ['metrics-collection']);
    assert.deepEqual(resolveConfig([]).clusterChanges, ['metrics-collection', 'external-authorization', 'ingress-mtls']);
    assert.throws(() => resolveConfig([flags({ allowClusterChanges: 'everything' })]), /allowClusterChanges must be one of metrics-collection, external-authorization, ingress-mtls/);
  });

  it('refuses ingress over mTLS asked for behind AGIC, which speaks only HTTP to backends, saying what to use instead', () => {
    const agicHttpOnly = /AGIC works only with HTTP backends .*: use Application Gateway for Containers \(ingress profile agc\) or ingress-nginx with mTLS \(ingress profile nginx\)$/;
    const asked = (values: Record<string, unknown>) => () => resolveConfig([flags({ flavor: 'aks', allowClusterChanges: 'ingress-mtls', ...values })]);
    assert.throws(asked({ ingress: 'agic' }), (err: unknown) => err instanceof ConfigError && !err.message.includes('\n')
      && /^Invalid configuration: --allowClusterChanges ingress-mtls asks for the extended check ingress-mtls, which ingress agic \(--ingress\) cannot serve: /.test(err.message) && agicHttpOnly.test(err.message));
    // AGIC is the guide's default ingress on aks: the message says so.
    assert.throws(asked({}), /which ingress agic \(the Open Service Mesh \(OSM\) default on aks\) cannot serve/);
    // Where the ingress can serve it, or where the change is only the simulator's default (not asked for), the run goes on.
    assert.deepEqual(resolveConfig([flags({ flavor: 'aks', ingress: 'agc', allowClusterChanges: 'ingress-mtls' })]).clusterChanges, ['ingress-mtls']);
    // The simulator's default allows every change but the one AGIC refuses, and what it resolves to is accepted again
    // (the CLI hands the resolved list to the runner as if given).
    const simAks = resolveConfig([flags({ flavor: 'aks', ingress: 'agic' })]);
    assert.deepEqual(simAks.clusterChanges, ['metrics-collection', 'external-authorization']);
    assert.deepEqual(resolveConfig([flags({ flavor: 'aks', ingress: 'agic', allowClusterChanges: simAks.clusterChanges })]).clusterChanges, ['metrics-collection', 'external-authorization']);
    assert.equal(resolveConfig([flags({ target: 'kind', allowClusterChanges: 'ingress-mtls' })]).ingress, 'nginx');
  });
});
