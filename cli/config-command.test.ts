import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFileLayer } from '../harness/config/config-file.ts';
import { envLayer } from '../harness/config/resolve-config.ts';
import { redactUrl } from '../harness/report/redact.ts';
import { effectiveConfig, formatEffectiveConfig } from './config-command.ts';
import { flagLayer } from './program.ts';
import { resolveRunConfig } from './run-command.ts';

describe('mesh-conformance config', () => {
  const env = { MESH_CONFORMANCE_PROMETHEUS_TOKEN: 'tok-SECRET-123', MESH_CONFORMANCE_AZURE_TOKEN: 'az-SECRET-456', MESH_CONFORMANCE_CONTEXT: 'env-ctx' };
  const file = configFileLayer('/w/mesh-conformance.config.yaml', { target: 'aks', context: 'file-ctx', timeouts: { rollout: '3m' }, logAnalyticsWorkspace: 'ws-1' });
  const flags = { consecutiveSuccesses: '3', prometheusUrl: 'https://user:p%40ss@prom.example/' };
  const layers = [file, envLayer(env), flagLayer(flags)];
  const config = resolveRunConfig({ command: 'run', flags, playwrightArgs: [] }, env, '/w', file);
  const entries = effectiveConfig(config, layers, env);
  const byKey = Object.fromEntries(entries.map((e) => [e.key, e]));

  it('says where each value came from, later sources winning', () => {
    assert.deepEqual(byKey.target, { key: 'target', value: 'aks', source: 'key target in /w/mesh-conformance.config.yaml' });
    assert.deepEqual(byKey.context, { key: 'context', value: 'env-ctx', source: 'MESH_CONFORMANCE_CONTEXT' });
    assert.deepEqual(byKey.consecutiveSuccesses, { key: 'consecutiveSuccesses', value: 3, source: '--consecutive-successes' });
    assert.deepEqual(byKey['timeouts.rollout'], { key: 'timeouts.rollout', value: '180s', source: 'key timeouts.rollout in /w/mesh-conformance.config.yaml' });
    assert.deepEqual(byKey['timeouts.http'], { key: 'timeouts.http', value: '600s', source: 'default of the agic ingress on target aks' });
    assert.deepEqual(byKey['timeouts.apply'], { key: 'timeouts.apply', value: '15s', source: 'default' });
    assert.deepEqual(byKey.meshNamespace, { key: 'meshNamespace', value: 'kube-system', source: 'default of the aks profile' });
  });

  it('never prints a secret: tokens and URL passwords are redacted', () => {
    const text = formatEffectiveConfig(entries, layers);
    assert.doesNotMatch(text, /SECRET|p%40ss/);
    assert.equal(byKey.prometheusToken?.value, '<redacted>');
    assert.equal(byKey.azureToken?.value, '<redacted>');
    assert.equal(byKey.prometheusUrl?.value, 'https://user:<redacted>@prom.example/');
    assert.equal(redactUrl('http://prom:9090'), 'http://prom:9090');
    assert.match(text, /^# effective configuration; sources, later wins: defaults < \/w\/mesh-conformance\.config\.yaml < MESH_CONFORMANCE_\* < flags\n/);
    assert.match(text, /^target: aks +# key target in \/w\/mesh-conformance\.config\.yaml$/m);
  });
});
