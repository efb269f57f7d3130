import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdmissionRequest, KubeObject } from '../cluster/types.ts';
import { daprdContainer, injectorPlugin } from './dapr-injector.ts';
import { argValue } from './daprd.ts';

function pod(annotations: Record<string, string>, containers: Record<string, unknown>[] = [{ name: 'app', image: 'app' }]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client-1', namespace: 'demo', annotations }, spec: { containers } };
}

function create(obj: KubeObject): AdmissionRequest {
  return { operation: 'CREATE', resource: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }, namespace: 'demo', object: obj } as unknown as AdmissionRequest;
}

test('daprdContainer: the injector\'s ports, the operator address and the app id of the annotation', () => {
  const c = daprdContainer(pod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'client' }), 'dapr-system') as { name: string; args: string[]; ports: { name: string; containerPort: number }[] };
  assert.equal(c.name, 'daprd');
  assert.deepEqual(c.ports.map((p) => `${p.name}:${p.containerPort}`), ['dapr-http:3500', 'dapr-grpc:50001', 'dapr-internal:50002', 'dapr-metrics:9090']);
  assert.equal(argValue(c, '--app-id'), 'client');
  assert.equal(argValue(c, '--control-plane-address'), 'dapr-api.dapr-system.svc.cluster.local:80');
  assert.equal(argValue(c, '--dapr-listen-addresses'), '[::1],127.0.0.1');
  assert.equal(argValue(c, '--app-port'), undefined);
});

test('the injector adds daprd to an annotated pod only, once, and only while it is active and reachable', () => {
  let active = true;
  let reachable = true;
  const plugin = injectorPlugin(() => active, () => reachable);
  const names = (p: KubeObject): string[] => ((p['spec'] as { containers: { name: string }[] }).containers).map((c) => c.name);

  const annotated = pod({ 'dapr.io/enabled': 'true' });
  void plugin.mutate!(create(annotated));
  assert.deepEqual(names(annotated), ['app', 'daprd']);
  assert.equal(annotated.metadata.labels?.['dapr.io/sidecar-injected'], 'true');

  const already = pod({ 'dapr.io/enabled': 'true' }, [{ name: 'app' }, { name: 'daprd' }]);
  void plugin.mutate!(create(already));
  assert.deepEqual(names(already), ['app', 'daprd']);

  const plain = pod({});
  void plugin.mutate!(create(plain));
  assert.deepEqual(names(plain), ['app']);

  reachable = false;
  const unreachable = pod({ 'dapr.io/enabled': 'true' });
  void plugin.mutate!(create(unreachable));
  assert.deepEqual(names(unreachable), ['app'], 'failurePolicy Ignore: admitted without daprd');

  active = false;
  reachable = true;
  const inactive = pod({ 'dapr.io/enabled': 'true' });
  void plugin.mutate!(create(inactive));
  assert.deepEqual(names(inactive), ['app']);
});
