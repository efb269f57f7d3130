// The printer-column JSONPath subset: what the OSM and Gateway API CRDs' additionalPrinterColumns use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateJsonPath } from './jsonpath.ts';

const gateway = {
  spec: { gatewayClassName: 'istio', ports: [{ port: 80 }] },
  status: {
    addresses: [{ type: 'IPAddress', value: '127.5.0.9' }, { type: 'IPAddress', value: '127.5.0.10' }],
    conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'False' }],
  },
  metadata: { labels: { 'app.kubernetes.io/name': 'x' } },
};

void test('fields, indexes and quoted keys', () => {
  assert.equal(evaluateJsonPath(gateway, '.spec.gatewayClassName'), 'istio');
  assert.equal(evaluateJsonPath(gateway, '.spec.ports[0].port'), 80);
  assert.equal(evaluateJsonPath(gateway, ".metadata.labels['app.kubernetes.io/name']"), 'x');
  assert.equal(evaluateJsonPath(gateway, '.status.missing'), undefined);
});

void test('wildcards and filters yield the first match, as kube-apiserver prints it', () => {
  assert.equal(evaluateJsonPath(gateway, '.status.addresses[*].value'), '127.5.0.9');
  assert.equal(evaluateJsonPath(gateway, '.status.conditions[?(@.type=="Programmed")].status'), 'False');
  assert.equal(evaluateJsonPath(gateway, ".status.conditions[?(@.type=='Accepted')].status"), 'True');
  assert.equal(evaluateJsonPath({ status: {} }, '.status.conditions[?(@.type=="Programmed")].status'), undefined);
});
