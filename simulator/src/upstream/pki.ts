/**
 * The upstream cluster's PKI: one CA (kube-apiserver's serving and client CA, the controller manager's CSR signer) and
 * leaf certificates it signs: the API server's, the front proxy's, and those of the simulator's own servers that
 * kube-apiserver or clients verify against it (the admission webhooks, the API front, the kubelets).
 */
import { generate } from 'selfsigned';

export interface KeyPair { cert: string; key: string }

/** A fresh EC CA, valid for a year. */
export async function createCA(): Promise<KeyPair> {
  const ca = await generate([{ name: 'commonName', value: 'mesh-conformance-upstream-ca' }], {
    keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date(Date.now() - 60_000), notAfterDate: new Date(Date.now() + 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

/** A leaf certificate signed by the CA: serving (with SANs: IP addresses or DNS names) or client (CN = user). */
export async function signLeaf(ca: KeyPair, commonName: string, use: { hosts: string[] } | { client: true }): Promise<KeyPair> {
  const serving = 'hosts' in use;
  const altNames = serving ? use.hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })) : [];
  const c = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date(Date.now() - 60_000), notAfterDate: new Date(Date.now() + 365 * 24 * 3600_000),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      serving ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(serving ? [{ name: 'subjectAltName' as const, altNames }] : []),
    ],
  });
  return { cert: c.cert, key: c.private };
}
