// The OpenAPI documents: what kubectl 1.27/1.28 (v2 as protobuf) and newer kubectl (v3) read, negotiated as
// kube-openapi does, and the protobuf encoding checked byte for byte against a real kube-apiserver when one is built.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { Agent, request as undiciRequest } from 'undici';
import { startUpstreamControlPlane, upstreamBinariesPresent, upstreamBinDir } from '../upstream/control-plane.ts';
import { ingressBackendCrd } from '../flavors/crds.ts';
import { encodeOpenApiV2, yamlOf } from './openapi-protobuf.ts';
import { acceptClauses } from './server.ts';
import { startTestCluster } from './test-cluster.ts';
import type { TestCluster } from './test-cluster.ts';

const protobufV2 = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
let cluster: TestCluster;

before(async () => {
  cluster = await startTestCluster();
  await cluster.store.create(cluster.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), ingressBackendCrd());
});
after(async () => {
  await cluster.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, cluster.server.url), { ca: cluster.server.caPem, headers: { Authorization: `Bearer ${cluster.server.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The length-delimited fields of a protobuf message (numbers and payloads), enough to walk gnostic's Document. */
function fields(buf: Buffer): { no: number; value: Buffer }[] {
  const out: { no: number; value: Buffer }[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 2) {
      const len = varint();
      out.push({ no: Math.floor(key / 8), value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else pos += 4;
  }
  return out;
}
const field = (buf: Buffer, no: number) => fields(buf).filter((f) => f.no === no).map((f) => f.value);

describe('/openapi/v2', () => {
  test('answers the protobuf request in gnostic\'s Document, where kubectl finds PATCH with fieldValidation per kind', async () => {
    const res = await get('/openapi/v2', { Accept: protobufV2 });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(res.headers.vary, 'Accept');
    assert.equal(field(res.body, 1)[0]!.toString(), '2.0', 'Document.swagger');
    // What kubectl 1.27's QueryParamVerifier does: find the PATCH operation whose GVK extension names the kind,
    // then a query parameter named fieldValidation among its parameters.
    const paths = field(field(res.body, 8)[0]!, 2);
    const patchOf = (kind: string) => paths.map((p) => field(p, 2)[0]!).map((item) => field(item, 8)[0]).find((op) => op && field(op, 13).some((ext) => {
      const [name, value] = [field(ext, 1)[0]!.toString(), field(field(ext, 2)[0]!, 2)[0]!.toString()];
      return name === 'x-kubernetes-group-version-kind' && value.includes(`kind: ${kind}\n`);
    }));
    for (const kind of ['Deployment', 'IngressBackend']) {
      const op = patchOf(kind);
      assert.ok(op, `a PATCH operation for ${kind}`);
      // ParametersItem.parameter → Parameter.non_body_parameter → NonBodyParameter.query_parameter_sub_schema → name
      const dig = (buf: Buffer | undefined, ...path: number[]): Buffer | undefined => path.reduce<Buffer | undefined>((b, no) => (b ? field(b, no)[0] : undefined), buf);
      const queryNames = field(op, 8).map((item) => dig(item, 1, 2, 3, 4)?.toString());
      assert.ok(queryNames.includes('fieldValidation'), `${kind} PATCH declares fieldValidation: ${queryNames.join(',')}`);
    }
    const definitions = field(field(res.body, 9)[0]!, 1).map((d) => field(d, 1)[0]!.toString());
    assert.ok(definitions.includes('io.k8s.api.apps.v1.Deployment'));
    assert.ok(definitions.includes('io.openservicemesh.policy.v1alpha1.IngressBackend'));
  });

  test('JSON by default, 406 for what it cannot produce, 304 for a matching If-None-Match', async () => {
    const json = await get('/openapi/v2');
    assert.equal(json.headers['content-type'], 'application/json');
    const doc = JSON.parse(json.body.toString()) as { swagger: string; definitions: Record<string, { properties?: Record<string, unknown> }> };
    assert.equal(doc.swagger, '2.0');
    // The CRD's schema as the apiextensions-apiserver publishes it for v2: TypeMeta and ObjectMeta added.
    assert.deepEqual(Object.keys(doc.definitions['io.openservicemesh.policy.v1alpha1.IngressBackend']!.properties!), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    const refused = await get('/openapi/v2', { Accept: 'text/html' });
    assert.equal(refused.status, 406);
    assert.equal(refused.body.length, 0);
    const cached = await get('/openapi/v2', { Accept: protobufV2, 'If-None-Match': String(json.headers.etag) });
    assert.equal(cached.status, 304);
  });

  test('the document follows the served kinds: a new CRD changes it', async () => {
    const before = (await get('/openapi/v2')).headers.etag;
    await cluster.store.create(cluster.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' }, versions: [{ name: 'v1', served: true, storage: true }] },
    });
    const after = await get('/openapi/v2');
    assert.notEqual(after.headers.etag, before);
    assert.ok(after.body.toString().includes('"/apis/example.com/v1/widgets/{name}"'));
  });
});

describe('/openapi/v3', () => {
  test('the index links each group-version by hash; a stale hash redirects; the document carries the schemas explain reads', async () => {
    const index = JSON.parse((await get('/openapi/v3')).body.toString()) as { paths: Record<string, { serverRelativeURL: string }> };
    const url = index.paths['apis/apps/v1']!.serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await get(url);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    const parsed = JSON.parse(doc.body.toString()) as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    assert.ok(parsed.components.schemas['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.replicas);
    const stale = await get('/openapi/v3/apis/apps/v1?hash=0');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.location, url);
    assert.equal((await get('/openapi/v3/apis/nope/v1')).status, 404);
  });
});

test('Accept clauses are ordered by q, specific before wildcard', () => {
  assert.deepEqual(acceptClauses('*/*;q=0.5, application/json, application/*').map((c) => `${c.type}/${c.subtype}`), ['application/json', 'application/*', '*/*']);
  assert.deepEqual(acceptClauses(undefined).map((c) => `${c.type}/${c.subtype}`), ['*/*']);
});

test('free-form values are YAML as go-yaml v3 writes them', () => {
  assert.equal(yamlOf([{ group: '', kind: 'Pod', version: 'v1' }]), '- group: ""\n  kind: Pod\n  version: v1\n');
  assert.equal(yamlOf('*'), '\'*\'\n');
  assert.equal(yamlOf({ a: { b: ['x'] } }), 'a:\n    b:\n        - x\n');
});

test('the protobuf encoding is byte-identical to kube-apiserver\'s for its own document (skipped where the upstream binaries are not built: npm run upstream:build)', async (t) => {
  if (!upstreamBinariesPresent()) {
    t.skip(`upstream binaries not built (no ${upstreamBinDir()}): run node scripts/upstream-build.mjs`);
    return;
  }
  const cp = await startUpstreamControlPlane({ controllerManager: false, scheduler: false, readyTimeoutMs: 90_000 });
  const dispatcher = new Agent({ connect: { ca: cp.caPem } });
  try {
    const fetch = async (accept: string): Promise<Buffer> => {
      const res = await undiciRequest(`${cp.server}/openapi/v2`, { dispatcher, headers: { authorization: `Bearer ${cp.token}`, accept } });
      return Buffer.from(await res.body.arrayBuffer());
    };
    const json = JSON.parse((await fetch('application/json')).toString()) as Record<string, unknown>;
    const proto = await fetch(protobufV2);
    assert.ok(encodeOpenApiV2(json).equals(proto), 'same bytes as kube-apiserver');
  } finally {
    await dispatcher.close();
    await cp.stop();
  }
});
