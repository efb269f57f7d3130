import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configFileLayer, findConfigFile, loadConfigFileLayer, readConfigFile } from './config-file.ts';
import { ConfigError, envLayer, resolveConfig } from './resolve-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const flags = (values: Record<string, unknown>) => ({ nameOf: (k: string) => `--${k}`, values });

function project(files: Record<string, string>): string {
  const d = mkdtempSync(join(dir, 'p-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('config file', () => {
  it('is the lowest layer: file < env < flags, and relative paths are taken from the file\'s directory', async () => {
    const d = project({ 'mesh-conformance.config.yaml': 'target: kind\ncontext: kind-a\nkubeconfig: ./kc\nconsecutiveSuccesses: 3\nreportDir: out\ntimeouts:\n  rollout: 3m\n  metrics: 5m\n' });
    const file = await loadConfigFileLayer(undefined, {}, d);
    assert.ok(file);
    const c = resolveConfig([file, envLayer({ MESH_CONFORMANCE_CONTEXT: 'kind-b' }), flags({ consecutiveSuccesses: '7' })]);
    assert.equal(c.target, 'kind');
    assert.equal(c.context, 'kind-b');
    assert.equal(c.consecutiveSuccesses, 7);
    assert.equal(c.kubeconfig, join(d, 'kc'));
    assert.equal(c.reportDir, join(d, 'out'));
    assert.equal(c.timeouts.rollout, 180_000);
    assert.equal(c.metrics.timeoutMs, 300_000);
  });

  it('reads JSON and TypeScript (default export) as well', async () => {
    const json = await loadConfigFileLayer(undefined, {}, project({ 'mesh-conformance.config.json': '{"target":"aks","context":"prod-aks","ingressAddress":"gw.example:8080"}' }));
    assert.deepEqual(json?.values, { target: 'aks', context: 'prod-aks', ingressAddress: 'gw.example:8080' });
    const ts = await loadConfigFileLayer(undefined, {}, project({ 'mesh-conformance.config.ts': 'export default { target: \'kind\', parallelism: 2 } as const;\n' }));
    assert.deepEqual(ts?.values, { target: 'kind', parallelism: 2 });
  });

  it('gives up on a TypeScript config whose top-level await never settles, within its limit, in one line (issue 19)', async () => {
    const d = project({ 'mesh-conformance.config.ts': 'await new Promise(() => undefined);\nexport default { target: \'kind\' };\n' });
    const started = Date.now();
    await assert.rejects(readConfigFile(join(d, 'mesh-conformance.config.ts'), { limitMs: 300 }),
      (err: unknown) => err instanceof ConfigError && /did not finish loading within 0\.3s \(a top-level await that never settles\?\): make its default export plain data/.test(err.message));
    assert.ok(Date.now() - started < 2_000);
  });

  it('names the file and key of a bad value, with the allowed values', async () => {
    const file = await loadConfigFileLayer(undefined, {}, project({ 'mesh-conformance.config.yaml': 'target: minikube\n' }));
    assert.throws(() => resolveConfig([file!]), /^ConfigError: Invalid configuration: target must be one of local, kind, aks \(got "minikube" from key target in \/.*mesh-conformance\.config\.yaml\)$/);
    const t = await loadConfigFileLayer(undefined, {}, project({ 'mesh-conformance.config.yaml': 'timeouts:\n  metrics: soon\n' }));
    assert.throws(() => resolveConfig([t!]), /metricsTimeout must be a positive duration .* \(got "soon" from key timeouts\.metrics in /);
  });

  it('rejects unknown keys, unknown timeout classes, credentials and non-mappings, naming what is allowed', () => {
    assert.throws(() => configFileLayer('/p/mesh-conformance.config.yaml', { targt: 'kind' }), (err: unknown) =>
      err instanceof ConfigError && /^Invalid configuration: unknown key "targt" in \/p\/mesh-conformance\.config\.yaml; allowed keys: target, flavor, kubeconfig, context, /.test(err.message) && !/prometheusToken(?!File)/.test(err.message));
    assert.throws(() => configFileLayer('/p/c.yaml', { timeouts: { deploy: '1m' } }), /unknown key "timeouts\.deploy" in \/p\/c\.yaml; allowed: timeouts\.apply, timeouts\.rollout, timeouts\.assert, timeouts\.http, timeouts\.cleanup, timeouts\.metrics/);
    assert.throws(() => configFileLayer('/p/c.yaml', { prometheusToken: 'x' }), /prometheusToken must not be written in c\.yaml .*set MESH_CONFORMANCE_PROMETHEUS_TOKEN instead/);
    assert.throws(() => configFileLayer('/p/c.yaml', ['kind']), /must hold a mapping of keys .* got a list/);
    assert.deepEqual(configFileLayer('/p/c.yaml', null).values, {});
  });

  it('finds one file, refuses two, and requires an explicitly named one to exist', async () => {
    assert.equal(findConfigFile(undefined, {}, project({})), undefined);
    const two = project({ 'mesh-conformance.config.json': '{}', 'mesh-conformance.config.yaml': '' });
    assert.throws(() => findConfigFile(undefined, {}, two), /found mesh-conformance\.config\.json and mesh-conformance\.config\.yaml in .*: keep one, or choose one with --config FILE/);
    assert.equal(findConfigFile('mesh-conformance.config.json', {}, two), join(two, 'mesh-conformance.config.json'));
    assert.throws(() => findConfigFile(undefined, { MESH_CONFORMANCE_CONFIG: 'nope.yaml' }, two), /config file .*nope\.yaml does not exist \(from MESH_CONFORMANCE_CONFIG\)/);
    await assert.rejects(loadConfigFileLayer(undefined, {}, project({ 'mesh-conformance.config.yaml': 'target: [kind\n' })), /is not valid YAML/);
  });
});
