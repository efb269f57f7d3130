import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteOutsideScopeError, WriteScope } from './write-scope.ts';

const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'container-azm-ms-osmconfig' };

describe('WriteScope', () => {
  const scope = new WriteScope('mesh-conformance-', [{ ...cm, why: 'merged and restored', change: 'metrics-collection' }]);

  it('allows creating a prefixed namespace by generateName, then writes into the adopted namespace only', () => {
    scope.check('create', { apiVersion: 'v1', kind: 'Namespace', name: '' }, 'mesh-conformance-');
    scope.adopt('mesh-conformance-ab12c');
    scope.check('patch', { apiVersion: 'v1', kind: 'Namespace', name: 'mesh-conformance-ab12c' });
    scope.check('apply', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'mesh-conformance-ab12c', name: 'httpbin' });
    scope.check('delete', { apiVersion: 'policy.example.io/v1', kind: 'IngressPolicy', namespace: 'mesh-conformance-ab12c', name: 'httpbin' });
    scope.check('create', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', name: '' });
    scope.check('patch', cm);
  });

  it('refuses everything else before it is sent, saying where the run may write', () => {
    assert.throws(() => scope.check('delete', { apiVersion: 'v1', kind: 'Namespace', name: 'mesh-conformance-other' }),
      (err: unknown) => err instanceof WriteOutsideScopeError && err.message === 'refused to delete Namespace mesh-conformance-other: a namespace this run did not create (a run writes only into its own namespaces: mesh-conformance-ab12c and ConfigMap kube-system/container-azm-ms-osmconfig)');
    assert.throws(() => scope.check('patch', { apiVersion: 'v1', kind: 'Namespace', name: 'ingress-nginx' }), WriteOutsideScopeError);
    assert.throws(() => scope.check('apply', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'mesh-system', name: 'mesh-controller' }), /refused to apply Deployment mesh-system\/mesh-controller: namespace mesh-system, which this run did not create/);
    assert.throws(() => scope.check('patch', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' }), WriteOutsideScopeError);
    assert.throws(() => scope.check('create', { apiVersion: 'v1', kind: 'Namespace', name: '' }, 'prod-'), WriteOutsideScopeError);
    assert.throws(() => scope.check('delete', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'mesh-injector' }), /a cluster-scoped object/);
  });
});
