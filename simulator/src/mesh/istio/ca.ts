/**
 * istiod's self-signed CA (istio.md §6): a root generated at start (published as `root-cert.pem` in every
 * `istio-ca-root-cert` ConfigMap and kept in the Secret `istio-ca-secret`), and workload certificates for
 * `spiffe://cluster.local/ns/<ns>/sa/<sa>` with an empty subject, valid 24 h (the agent's default `SECRET_TTL`) and
 * backdated by Istio's ClockSkewGracePeriod (2 minutes, `security/pkg/pki/util/generate_cert.go`), as a proxy gets
 * them from `CA_ADDR`. The proxies use them for real mTLS on their sockets (proxy/mtls.ts).
 *
 * `signWith` (the fault foreign-ca-certificate) makes istiod sign with another CA than the one it publishes: the
 * proxies get that CA's root over SDS (so mTLS between them still works), while `istio-ca-root-cert` and
 * `istio-ca-secret` keep the published root.
 */
import { createPrivateKey } from 'node:crypto';
import type { IssuedCertificate, SigningCa } from '../certificate-authority.ts';
import { createRoot, issueLeaf } from '../certificate-authority.ts';
import { spiffeId, trustDomain } from './constants.ts';

export type WorkloadCertificate = IssuedCertificate;

/** Istio's default workload certificate TTL (pilot-agent `SECRET_TTL`, istiod `DEFAULT_WORKLOAD_CERT_TTL`): 24 h. */
export const defaultWorkloadCertTtlMs = 24 * 3600_000;
/** `ClockSkewGracePeriod`: a workload certificate is valid from 2 minutes before it was signed. */
export const clockSkewGracePeriodMs = 2 * 60_000;
/** istiod's self-signed root: 10 years (`DefaultSelfSignedCACertTTL`). */
const selfSignedRootTtlMs = 10 * 365 * 24 * 3600_000;

export interface IstioCaOptions {
  /** Validity of the self-signed root from now (default 10 years; the fault root-ca-expiring shortens it). */
  rootValidityMs?: number;
  /** Sign workload certificates with a CA other than the published root (fault foreign-ca-certificate). */
  foreignSigner?: boolean;
}

export class IstioCa {
  private readonly issued = new Map<string, Promise<WorkloadCertificate>>();

  /** Workload keys of the signer's type (the signing library imports the CA key as the leaf's key type). */
  private readonly leafKeyType: 'rsa' | 'ec';

  private constructor(private readonly root: SigningCa, private readonly signer: SigningCa) {
    this.leafKeyType = createPrivateKey(signer.keyPem).asymmetricKeyType === 'rsa' ? 'rsa' : 'ec';
  }

  static async create(o: IstioCaOptions = {}): Promise<IstioCa> {
    const make = (): Promise<SigningCa> => createRoot({ subject: [{ name: 'organizationName', value: trustDomain }], validityMs: o.rootValidityMs ?? selfSignedRootTtlMs, keyType: 'ec' });
    const root = await make();
    return new IstioCa(root, o.foreignSigner ? await make() : root);
  }

  /** A root as istiod's self-signed CA makes one (O=cluster.local, RSA 2048), valid for `validityMs` from now. */
  static selfSignedRoot(validityMs: number): Promise<SigningCa> {
    return createRoot({ subject: [{ name: 'organizationName', value: trustDomain }], validityMs, keyType: 'rsa' });
  }

  /**
   * The CA of a real istiod (its `istio-ca-secret`), for the emulated SDS of a cluster where the real istiod runs
   * (upstream/istiod-install.ts): workload certificates chain to the root it publishes. `foreignSigner` still signs
   * with another CA, as `create` does. istiod's self-signed CA has an RSA 2048 key, so workload keys are RSA too
   * (as pilot-agent's are by default).
   */
  static async fromRoot(root: SigningCa, o: Pick<IstioCaOptions, 'foreignSigner'> = {}): Promise<IstioCa> {
    const foreign = o.foreignSigner
      ? await createRoot({ subject: [{ name: 'organizationName', value: trustDomain }], validityMs: selfSignedRootTtlMs, keyType: 'rsa' })
      : root;
    return new IstioCa(root, foreign);
  }

  /** The published root: `istio-ca-root-cert`, `istio-ca-secret`, the webhooks' caBundle. */
  get rootPem(): string {
    return this.root.certPem;
  }

  /** The CA's key, for the `istio-ca-secret` Secret istiod keeps. */
  get rootKeyPem(): string {
    return this.root.keyPem;
  }

  /** A certificate for a workload identity (cached per identity, as the agent caches its SDS secret). */
  issue(namespace: string, serviceAccount: string): Promise<WorkloadCertificate> {
    const id = spiffeId(namespace, serviceAccount);
    let cert = this.issued.get(id);
    if (!cert) {
      cert = issueLeaf(this.signer, {
        subject: [], altNames: [{ type: 6, value: id }], criticalSan: true,
        validityMs: defaultWorkloadCertTtlMs, backdateMs: clockSkewGracePeriodMs, keyType: this.leafKeyType,
      }).then((c) => ({ ...c, rootPem: this.signer.certPem }));
      this.issued.set(id, cert);
    }
    return cert;
  }
}
