import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../cluster/types.ts';
import { caIssuerReadyCondition } from './cert-manager-issuers.ts';
import { bootstrapCertificateRefusal, certificateManagerArgs } from './certificate-providers.ts';

const issuer: KubeObject = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'osm-ca', namespace: 'osm-system' }, spec: { ca: { secretName: 'osm-ca-key-pair' } } };
const secret = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'osm-ca-key-pair', namespace: 'osm-system' }, data });
const now = new Date('2026-11-29T00:00:00Z');

describe('cert-manager CA issuer readiness', () => {
  it('is Ready only when the key pair Secret holds tls.crt and tls.key, with cert-manager\'s reasons', () => {
    assert.deepEqual(
      [caIssuerReadyCondition(issuer, undefined, now), caIssuerReadyCondition(issuer, secret({ 'tls.crt': 'x' }), now), caIssuerReadyCondition(issuer, secret({ 'tls.crt': 'x', 'tls.key': 'y' }), now)]
        .map((c) => `${c['status']} ${c['reason']}: ${c['message']}`),
      [
        'False ErrGetKeyPair: Error getting keypair for CA issuer: secret "osm-ca-key-pair" not found',
        'False ErrGetKeyPair: Error getting keypair for CA issuer: no data for "tls.key" in secret \'osm-system/osm-ca-key-pair\'',
        'True KeyPairVerified: Signing CA verified',
      ]);
  });
});

describe('OSM certificate providers', () => {
  const none = { vaultSealed: false, certManagerIssuerNotReady: false };
  it('passes each provider\'s flags to the control plane, Tresor by default', () => {
    assert.deepEqual(certificateManagerArgs(none), ['--certificate-manager', 'tresor']);
    assert.deepEqual(certificateManagerArgs({ ...none, vaultSealed: true }).slice(0, 4), ['--certificate-manager', 'vault', '--vault-host', 'vault.vault.svc.cluster.local']);
    assert.deepEqual(certificateManagerArgs({ ...none, certManagerIssuerNotReady: true }).slice(0, 4), ['--certificate-manager', 'cert-manager', '--cert-manager-issuer-name', 'osm-ca']);
  });
  it('refuses bootstrap certificates only from a sealed Vault, with the Vault API client\'s error', () => {
    assert.equal(bootstrapCertificateRefusal(none), undefined);
    assert.equal(bootstrapCertificateRefusal({ ...none, certManagerIssuerNotReady: true }), undefined);
    assert.match(bootstrapCertificateRefusal({ ...none, vaultSealed: true }) ?? '', /^Error making API request\.\n\nURL: PUT http:\/\/vault\.vault\.svc\.cluster\.local:8200\/v1\/pki\/issue\/openservicemesh\nCode: 503\. Errors:\n\n\* Vault is sealed$/);
  });
});
