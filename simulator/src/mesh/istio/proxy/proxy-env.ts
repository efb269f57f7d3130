/**
 * What a simulated Istio proxy gets from istiod (its xDS and SDS, in-process): the registry and config view, the CA
 * for its certificate, the revision istiod serves, and when its first configuration arrives (istiod reachable; a
 * proxy keeps its last config when istiod goes away later, as Envoy does).
 */
import type { SimHooks } from '../../../hooks.ts';
import type { IstioCa } from '../ca.ts';
import type { IstioView } from '../view.ts';

export interface ProxyEnv {
  view: IstioView;
  /** Signs the proxy's workload certificate (SDS). */
  ca: Pick<IstioCa, 'issue'>;
  hooks: SimHooks;
  /** The revision istiod serves. */
  revision: string;
  /** Resolves once istiod is reachable (the proxy's first LDS/CDS push). */
  configured(): Promise<void>;
}

/** A promise that resolves when istiod first has a ready endpoint (re-checked on every store change, no polling). */
export function whenIstiodReachable(view: IstioView): Promise<void> {
  return new Promise((resolve) => {
    if (view.istiodReachable()) {
      resolve();
      return;
    }
    const unsubscribe = view.store.onChange((event) => {
      if (event.object.kind !== 'Endpoints' || !view.istiodReachable()) return;
      unsubscribe();
      resolve();
    });
  });
}
