// Custom resources are validated against their CRD's structural schema and pruned of what it does not declare;
// request bodies of every kind are decoded under fieldValidation (Warn by default). The expected messages are the
// ones kube-apiserver answered for the same requests (checked against the upstream build, issue 14 §4).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { ingressBackendCrd } from '../flavors/crds.ts';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

let cluster: TestCluster;
const ibPath = '/apis/policy.openservicemesh.io/v1alpha1/namespaces/default/ingressbackends';

before(async () => {
  cluster = await startTestCluster();
  const crds = cluster.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  await cluster.store.create(crds, ingressBackendCrd());
  await cluster.store.create(crds, {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'string', enum: ['small', 'large'], default: 'small' },
                  note: { type: 'string', nullable: true, maxLength: 5 },
                  count: { type: 'integer', default: 1 },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  opaque: { type: 'object' },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  port: { 'x-kubernetes-int-or-string': true },
                },
              },
            },
          },
        },
      }],
    },
  });
  await cluster.store.create(crds, {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' }, versions: [{ name: 'v1', served: true, storage: true }] },
  });
});
after(async () => {
  await cluster.close();
});

interface Reply { status: number; warnings: string[]; body: Record<string, unknown> }

function call(method: string, path: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, cluster.server.url), {
      method, ca: cluster.server.caPem, headers: { Authorization: `Bearer ${cluster.server.token}`, 'Content-Type': contentType },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const warning = res.headersDistinct.warning ?? [];
        resolve({ status: res.statusCode ?? 0, warnings: warning, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function ib(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', metadata: { name }, spec };
}
const source = { kind: 'Service', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' };
const backend = { name: 'httpbin', port: { number: 14001, protocol: 'http' } };

describe('IngressBackend against OSM v1.2\'s schema', () => {
  test('without sources: 422 Invalid, "spec.sources: Required value"', async () => {
    const r = await call('POST', ibPath, ib('no-sources', { backends: [backend] }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'IngressBackend.policy.openservicemesh.io "no-sources" is invalid: spec.sources: Required value');
    assert.deepEqual(r.body.details, {
      name: 'no-sources', group: 'policy.openservicemesh.io', kind: 'IngressBackend',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.sources' }],
    });
  });

  test('port 0, a port number as a string, a name as a number: every error, bracketed', async () => {
    const r = await call('POST', ibPath, ib('bad', {
      backends: [{ name: 'a', port: { number: 0, protocol: 'http' } }, { name: 5, port: { number: 'x' } }], sources: [source],
    }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'IngressBackend.policy.openservicemesh.io "bad" is invalid: ['
      + 'spec.backends[0].port.number: Invalid value: 0: spec.backends[0].port.number in body should be greater than or equal to 1, '
      + 'spec.backends[1].name: Invalid value: "integer": spec.backends[1].name in body must be of type string: "integer", '
      + 'spec.backends[1].port.number: Invalid value: "string": spec.backends[1].port.number in body must be of type integer: "string", '
      + 'spec.backends[1].port.protocol: Required value]');
    const causes = (r.body.details as { causes: { reason: string; field: string }[] }).causes;
    assert.deepEqual(causes.map((c) => c.reason), ['FieldValueInvalid', 'FieldValueTypeInvalid', 'FieldValueTypeInvalid', 'FieldValueRequired']);
  });

  test('spec.foo is pruned with a warning (Warn, the default) and refused under Strict', async () => {
    const r = await call('POST', ibPath, ib('extra', { foo: 1, backends: [backend], sources: [{ ...source, bogus: true }] }));
    assert.equal(r.status, 201);
    assert.deepEqual(r.warnings, ['299 - "unknown field \\"spec.foo\\""', '299 - "unknown field \\"spec.sources[0].bogus\\""']);
    assert.deepEqual(r.body.spec, { backends: [backend], sources: [source] });
    const strict = await call('POST', `${ibPath}?fieldValidation=Strict`, ib('extra2', { foo: 1, backends: [backend], sources: [source] }));
    assert.equal(strict.status, 400);
    assert.equal(strict.body.reason, 'BadRequest');
    assert.equal(strict.body.message, 'IngressBackend in version "v1alpha1" cannot be handled as a IngressBackend: strict decoding error: unknown field "spec.foo"');
  });

  test('a merge patch adding an unknown field: warned and dropped, or a 422 on the patch under Strict', async () => {
    const warned = await call('PATCH', `${ibPath}/extra`, { spec: { foo: 1 } }, 'application/merge-patch+json');
    assert.equal(warned.status, 200);
    assert.deepEqual(warned.warnings, ['299 - "unknown field \\"spec.foo\\""']);
    const strict = await call('PATCH', `${ibPath}/extra?fieldValidation=Strict`, { spec: { foo: 1 } }, 'application/merge-patch+json');
    assert.equal(strict.status, 422);
    assert.match(String(strict.body.message), /^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":.*\}": strict decoding error: unknown field "spec.foo"$/);
    const invalid = await call('PATCH', `${ibPath}/extra`, { spec: { backends: [{ name: 'a', port: { number: 70000, protocol: 'http' } }] } }, 'application/merge-patch+json');
    assert.equal(invalid.status, 422);
    assert.match(String(invalid.body.message), /spec\.backends\[0\]\.port\.number in body should be less than or equal to 65535/);
  });

  test('server-side apply of an undeclared field fails to build the typed patch (500), whatever fieldValidation says', async () => {
    const r = await call('PATCH', `${ibPath}/extra?fieldManager=t`, { ...ib('extra', { foo: 1, backends: [backend], sources: [source] }), metadata: { name: 'extra', namespace: 'default' } }, 'application/apply-patch+yaml');
    assert.equal(r.status, 500);
    assert.equal(r.body.message, 'failed to create typed patch object (default/extra; policy.openservicemesh.io/v1alpha1, Kind=IngressBackend): .spec.foo: field not declared in schema');
  });

  test('status is free-form (x-kubernetes-preserve-unknown-fields) and a create starts without it', async () => {
    const r = await call('POST', ibPath, { ...ib('with-status', { backends: [backend], sources: [source] }), status: { currentStatus: 'committed' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.status, undefined);
    const s = await call('PATCH', `${ibPath}/with-status/status`, { status: { currentStatus: 'committed', anything: { x: 1 } } }, 'application/merge-patch+json');
    assert.deepEqual(s.body.status, { currentStatus: 'committed', anything: { x: 1 } });
  });
});

describe('any structural schema', () => {
  const path = '/apis/example.com/v1/namespaces/default/widgets';
  const widget = (name: string, spec: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec });

  test('defaults, nullable, maps, objects without properties, preserved subtrees, int-or-string', async () => {
    const r = await call('POST', path, widget('w1', { note: null, labels: { a: 'b' }, opaque: { gone: 1 }, free: { kept: { deep: true } }, port: 'http' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.spec, { size: 'small', count: 1, note: null, labels: { a: 'b' }, opaque: {}, free: { kept: { deep: true } }, port: 'http' });
    assert.deepEqual(r.warnings, ['299 - "unknown field \\"spec.opaque.gone\\""']);
  });

  test('enum, maxLength, set duplicates, map value types, int-or-string', async () => {
    const r = await call('POST', path, widget('w2', { size: 'huge', note: 'toolong', tags: ['a', 'a'], labels: { a: 1 }, port: 1.5 }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'Widget.example.com "w2" is invalid: ['
      + 'spec.size: Unsupported value: "huge": supported values: "small", "large", '
      + 'spec.note: Too long: may not be more than 5 bytes, '
      + 'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer", '
      + 'spec.tags[1]: Duplicate value: "a", '
      + 'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"]');
  });

  test('a CRD without a schema keeps everything', async () => {
    const r = await call('POST', '/apis/example.com/v1/namespaces/default/gadgets', { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { anything: [1, { b: 2 }] }, top: 'level' });
    assert.equal(r.status, 201);
    assert.deepEqual([r.body.spec, r.body.top, r.warnings], [{ anything: [1, { b: 2 }] }, 'level', []]);
  });
});

describe('builtin kinds', () => {
  test('unknown fields are dropped with warnings, refused under Strict, and a bad directive is a 422', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', foo: 1 }, data: { a: 'b' }, bar: 2 };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', cm);
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.foo", unknown field "bar"');
    const warned = await call('POST', '/api/v1/namespaces/default/configmaps', cm);
    assert.equal(warned.status, 201);
    assert.deepEqual(warned.warnings, ['299 - "unknown field \\"metadata.foo\\""', '299 - "unknown field \\"bar\\""']);
    assert.equal((warned.body as { bar?: unknown }).bar, undefined);
    const bogus = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Bogus', { ...cm, metadata: { name: 'c2' } });
    assert.equal(bogus.status, 422);
    assert.equal(bogus.body.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"');
    const smp = await call('PATCH', '/api/v1/namespaces/default/configmaps/c1?fieldValidation=Strict', { foo: 1, data: { x: 'y' } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 422);
    assert.equal(smp.body.message, ' "" is invalid: patch: Invalid value: "map[data:map[x:y] foo:1]": strict decoding error: unknown field "foo"');
  });

  test('a Deployment\'s container with an unknown field is pruned, the rest of the template kept', async () => {
    const d = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i', colour: 'red', ports: [{ containerPort: 80 }] }] } } },
    };
    const r = await call('POST', '/apis/apps/v1/namespaces/default/deployments', d);
    assert.equal(r.status, 201);
    assert.deepEqual(r.warnings, ['299 - "unknown field \\"spec.template.spec.containers[0].colour\\""']);
    const container = ((r.body.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0])!;
    assert.equal(container.colour, undefined);
    assert.deepEqual(container.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  });
});
