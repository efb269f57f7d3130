/**
 * cert-manager's issuer controller, for CA issuers only (the kind OSM's cert-manager guide uses): it verifies the key
 * pair Secret an `Issuer` names (`spec.ca.secretName`, in the Issuer's namespace) and writes the Issuer's `Ready`
 * condition through the status subresource, as cert-manager's pkg/issuer/ca `Setup` does: `True`/`KeyPairVerified`
 * when the Secret holds `tls.crt` and `tls.key`, else `False`/`ErrGetKeyPair`. Signing CertificateRequests is not
 * emulated (simulator/README.md). Active wherever the Issuer CRD is served (only under `cert-manager-issuer-not-ready`).
 */
import type { KubeObject, StoreEvent } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { typeFor } from '../controllers/resource-lookup.ts';

const issuerApiVersion = 'cert-manager.io/v1';

/** The Ready condition cert-manager would write for a CA issuer, given the Secret it names. */
export function caIssuerReadyCondition(issuer: KubeObject, secret: KubeObject | undefined, now: Date): Record<string, string> {
  const secretName = (issuer['spec'] as { ca?: { secretName?: string } } | undefined)?.ca?.secretName ?? '';
  const data = (secret?.['data'] ?? {}) as Record<string, string>;
  const problem = !secret ? `secret "${secretName}" not found`
    : !data['tls.crt'] ? `no data for "tls.crt" in secret '${issuer.metadata.namespace ?? ''}/${secretName}'`
      : !data['tls.key'] ? `no data for "tls.key" in secret '${issuer.metadata.namespace ?? ''}/${secretName}'` : undefined;
  return problem
    ? { type: 'Ready', status: 'False', reason: 'ErrGetKeyPair', message: `Error getting keypair for CA issuer: ${problem}`, lastTransitionTime: now.toISOString() }
    : { type: 'Ready', status: 'True', reason: 'KeyPairVerified', message: 'Signing CA verified', lastTransitionTime: now.toISOString() };
}

export function certManagerIssuersComponent(): SimComponent {
  return {
    name: 'cert-manager-issuers',
    start(ctx) {
      const secretType = typeFor(ctx.store, 'Secret');
      const reconcile = (issuer: KubeObject): void => {
        const issuerType = ctx.store.types.byKind('Issuer', issuerApiVersion);
        if (!issuerType || !(issuer['spec'] as { ca?: unknown } | undefined)?.ca) return;
        const secretName = (issuer['spec'] as { ca: { secretName?: string } }).ca.secretName ?? '';
        const secret = ctx.store.get(secretType, issuer.metadata.namespace, secretName);
        const wanted = caIssuerReadyCondition(issuer, secret, new Date());
        const current = ((issuer['status'] as { conditions?: Record<string, string>[] } | undefined)?.conditions ?? []).find((c) => c['type'] === 'Ready');
        if (current && current['status'] === wanted['status'] && current['message'] === wanted['message']) return;
        void ctx.store.mutate(issuerType, issuer.metadata.namespace, issuer.metadata.name ?? '', (obj) => {
          obj['status'] = { ...(obj['status'] as Record<string, unknown> | undefined), conditions: [wanted] };
        }, { subresource: 'status' }).catch((err: unknown) => ctx.log(`cert-manager-issuers: ${err instanceof Error ? err.message : String(err)}`));
      };
      const off = ctx.store.onChange((e: StoreEvent) => {
        if (e.type === 'DELETED') return;
        if (e.resource.kind === 'Issuer' && e.object.apiVersion === issuerApiVersion) reconcile(e.object);
        // A key pair Secret appearing or changing re-verifies the issuers that name it.
        if (e.resource.kind === 'Secret') {
          const issuerType = ctx.store.types.byKind('Issuer', issuerApiVersion);
          if (!issuerType) return;
          for (const issuer of ctx.store.list(issuerType).items) {
            const named = (issuer['spec'] as { ca?: { secretName?: string } } | undefined)?.ca?.secretName;
            if (issuer.metadata.namespace === e.object.metadata.namespace && named === e.object.metadata.name) reconcile(issuer);
          }
        }
      });
      return Promise.resolve({ stop: () => off() });
    },
  };
}
