import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podQosClass, quantityValue } from './pod-qos.ts';

void test('quantities: decimal and binary suffixes, exponents, millis', () => {
  assert.equal(quantityValue('500m'), 0.5);
  assert.equal(quantityValue('64Mi'), 64 * 2 ** 20);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(quantityValue('2'), 2);
  assert.equal(quantityValue('0.5'), quantityValue('500m'));
  assert.ok(Number.isNaN(quantityValue('lots')));
});

void test('QoS classes as ComputePodQOS decides them', () => {
  const c = (resources?: object) => ({ name: 'c', image: 'x', ...(resources ? { resources } : {}) });
  assert.equal(podQosClass({ containers: [c()] }), 'BestEffort');
  assert.equal(podQosClass({ containers: [c({ requests: { cpu: '10m' } })] }), 'Burstable');
  // Requests default to the limits: cpu and memory limits alone make a Guaranteed pod.
  assert.equal(podQosClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' } })] }), 'Guaranteed');
  assert.equal(podQosClass({ containers: [c({ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })] }), 'Guaranteed');
  assert.equal(podQosClass({ containers: [c({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })] }), 'Burstable');
  // A container without limits (an injected sidecar) makes the pod Burstable; only cpu and memory count.
  assert.equal(podQosClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' } }), c()] }), 'Burstable');
  assert.equal(podQosClass({ containers: [c({ requests: { 'ephemeral-storage': '1Gi' } })] }), 'BestEffort');
  assert.equal(podQosClass({ initContainers: [c({ requests: { memory: '1Mi' } })], containers: [c()] }), 'Burstable');
  // Pod-level resources replace the containers'.
  assert.equal(podQosClass({ resources: { limits: { cpu: '1', memory: '1Gi' } }, containers: [c()] }), 'Guaranteed');
});
