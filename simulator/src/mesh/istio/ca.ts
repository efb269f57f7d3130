/**
 * istiod's self-signed CA (istio.md §6): a root generated at start (published as `root-cert.pem` in every
 * `istio-ca-root-cert` ConfigMap and kept in the Secret `istio-ca-secret`), and workload certificates for
 * `spiffe://cluster.local/ns/<ns>/sa/<sa>` with an empty subject, valid 24 h, as a proxy gets them from `CA_ADDR`.
 * The proxies use them for real mTLS on their sockets (proxy/mtls.ts).
 */
import { generate } from 'selfsigned';
import { spiffeId, trustDomain } from './constants.ts';

export interface WorkloadCertificate {
  certPem: string;
  keyPem: string;
  /** The root the chain ends in (what the peer verifies against). */
  rootPem: string;
}

export class IstioCa {
  private readonly issued = new Map<string, Promise<WorkloadCertificate>>();

  private constructor(readonly rootPem: string, private readonly rootKey: string) {}

  static async create(): Promise<IstioCa> {
    const now = Date.now();
    const root = await generate([{ name: 'organizationName', value: trustDomain }], {
      keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + 10 * 365 * 24 * 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    return new IstioCa(root.cert, root.private);
  }

  /** The CA's key, for the `istio-ca-secret` Secret istiod keeps. */
  get rootKeyPem(): string {
    return this.rootKey;
  }

  /** A certificate for a workload identity (cached per identity, as the agent caches its SDS secret). */
  issue(namespace: string, serviceAccount: string): Promise<WorkloadCertificate> {
    const id = spiffeId(namespace, serviceAccount);
    let cert = this.issued.get(id);
    if (!cert) {
      const now = Date.now();
      cert = generate([], {
        keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + 24 * 3600_000),
        ca: { key: this.rootKey, cert: this.rootPem },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
          { name: 'subjectAltName', critical: true, altNames: [{ type: 6, value: id }] },
        ],
      }).then((c) => ({ certPem: c.cert, keyPem: c.private, rootPem: this.rootPem }));
      this.issued.set(id, cert);
    }
    return cert;
  }
}
