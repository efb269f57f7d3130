/**
 * Whether an extended check can run here. Its feature must be listed by the mesh or the ingress profile (the profile
 * implements it), and the cluster must have it: a profile that lists a feature may also probe the cluster for it
 * (`featureUnavailable`), and say why it cannot run there (no authorization service is configured, the ingress
 * controller cannot speak TLS to backends, the cluster-wide change it needs was not allowed). The check gate
 * (fixtures/checks.ts) skips the check with that reason, which the summary and the reports show as an unsupported
 * feature, apart from checks that failed or were skipped for a failed dependency.
 */
import type { KubeClient } from '../k8s/kube-client.ts';
import type { FeatureSupport } from './catalogue.ts';
import { featureSkipReason } from './catalogue.ts';

/** What a profile's feature probe gets: the cluster, the budget of one call, and what the user allowed. */
export interface FeatureProbeContext {
  client: KubeClient;
  budgetMs: number;
  /** The cluster-wide changes the user allowed (`allowClusterChanges`, `--allow-cluster-change`). */
  clusterChanges: readonly string[];
  /** The profiles of the run, so a feature that needs both can ask the other one (an ingress's TLS to backends). */
  profiles: readonly FeatureProbe[];
}

/** A profile that lists features and may probe the cluster for them (mesh and ingress profiles both are). */
export interface FeatureProbe extends FeatureSupport {
  /**
   * Features this profile can never serve, whoever lists them, with the reason and what to use instead (an ingress
   * that speaks only HTTP to backends cannot carry mTLS): the check is skipped with it, and `run` refuses a selection
   * that asks for the check explicitly (exit 2).
   */
  readonly refusedFeatures?: Readonly<Record<string, string>>;
  /**
   * Why the cluster cannot run `feature` (one line that says what is missing and how to get it), or undefined when it
   * can. Only asked for features the profile lists. Throw when the cluster cannot be asked (the check then fails).
   */
  featureUnavailable?(feature: string, ctx: FeatureProbeContext): Promise<string | undefined>;
}

/**
 * Why an extended check cannot run on this cluster with these profiles (undefined: run it): no profile lists its
 * feature, or a profile that lists it says the cluster lacks it. Core checks (no feature) always run.
 */
export async function featureUnavailableReason(feature: string | undefined, ctx: FeatureProbeContext): Promise<string | undefined> {
  const refused = feature === undefined ? undefined : ctx.profiles.map((p) => p.refusedFeatures?.[feature]).find((r) => r !== undefined);
  if (refused) return `extended feature ${feature} is not available: ${refused}`;
  const unsupported = featureSkipReason(feature, ctx.profiles);
  if (unsupported || feature === undefined) return unsupported;
  for (const profile of ctx.profiles.filter((p) => p.features?.includes(feature))) {
    const reason = await profile.featureUnavailable?.(feature, ctx);
    if (reason) return `extended feature ${feature} is not available: ${reason}`;
  }
  return undefined;
}
