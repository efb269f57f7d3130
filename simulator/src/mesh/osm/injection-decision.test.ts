import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../cluster/types.ts';
import { decideInjection, InjectionAnnotationError } from './injection-decision.ts';
import type { InjectionReason } from './injection-decision.ts';

function ns(name: string, labels: Record<string, string>, annotation?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, ...(annotation !== undefined ? { annotations: { 'openservicemesh.io/sidecar-injection': annotation } } : {}) } };
}

function pod(namespace: string, annotation?: string, hostNetwork = false): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace, ...(annotation !== undefined ? { annotations: { 'openservicemesh.io/sidecar-injection': annotation } } : {}) },
    spec: { hostNetwork, containers: [{ name: 'app', image: 'x' }] },
  };
}

const monitored = { 'openservicemesh.io/monitored-by': 'osm' };
const opts = { meshName: 'osm', osmNamespace: 'osm-system' };

const cases: { name: string; pod: KubeObject; ns: KubeObject; inject: boolean; reason: InjectionReason }[] = [
  { name: 'namespace enabled, pod silent', pod: pod('app'), ns: ns('app', monitored, 'enabled'), inject: true, reason: 'injected-by-namespace-annotation' },
  { name: 'namespace YES (case-insensitive)', pod: pod('app'), ns: ns('app', monitored, 'YES'), inject: true, reason: 'injected-by-namespace-annotation' },
  { name: 'namespace true, pod disabled', pod: pod('app', 'disabled'), ns: ns('app', monitored, 'true'), inject: false, reason: 'pod-opted-out' },
  { name: 'namespace disabled, pod enabled: pod wins', pod: pod('app', 'enabled'), ns: ns('app', monitored, 'disabled'), inject: true, reason: 'injected-by-pod-annotation' },
  { name: 'namespace without annotation, pod True', pod: pod('app', 'True'), ns: ns('app', monitored), inject: true, reason: 'injected-by-pod-annotation' },
  { name: 'namespace without annotation, pod silent', pod: pod('app'), ns: ns('app', monitored), inject: false, reason: 'not-enabled' },
  { name: 'namespace not monitored', pod: pod('app', 'enabled'), ns: ns('app', {}, 'enabled'), inject: false, reason: 'namespace-not-monitored' },
  { name: 'namespace monitored by another mesh', pod: pod('app'), ns: ns('app', { 'openservicemesh.io/monitored-by': 'other' }, 'enabled'), inject: false, reason: 'namespace-not-monitored' },
  { name: 'namespace ignored', pod: pod('app'), ns: ns('app', { ...monitored, 'openservicemesh.io/ignore': 'true' }, 'enabled'), inject: false, reason: 'namespace-not-monitored' },
  { name: 'hostNetwork pod', pod: pod('app', 'enabled', true), ns: ns('app', monitored, 'enabled'), inject: false, reason: 'host-network' },
  { name: 'kube-system', pod: pod('kube-system', 'enabled'), ns: ns('kube-system', monitored, 'enabled'), inject: false, reason: 'namespace-not-injectable' },
  { name: 'kube-public', pod: pod('kube-public', 'enabled'), ns: ns('kube-public', monitored, 'enabled'), inject: false, reason: 'namespace-not-injectable' },
  { name: 'the OSM namespace', pod: pod('osm-system', 'enabled'), ns: ns('osm-system', monitored, 'enabled'), inject: false, reason: 'namespace-not-injectable' },
];

void describe('decideInjection (OSM mustInject)', () => {
  for (const c of cases) {
    void it(c.name, () => {
      assert.deepEqual(decideInjection(c.pod, c.ns, opts), { inject: c.inject, reason: c.reason });
    });
  }

  void it('rejects an invalid pod annotation value', () => {
    assert.throws(() => decideInjection(pod('app', 'maybe'), ns('app', monitored, 'enabled'), opts),
      (e: unknown) => e instanceof InjectionAnnotationError && e.message === 'Invalid annotation value for key "openservicemesh.io/sidecar-injection": maybe');
  });

  void it('rejects an invalid namespace annotation value even when the pod opts in', () => {
    assert.throws(() => decideInjection(pod('app', 'enabled'), ns('app', monitored, 'sometimes'), opts), InjectionAnnotationError);
  });
});
