/**
 * What a mesh's metrics look like to the metrics check, in terms any Prometheus-compatible source can answer: the
 * pod annotations that make the sidecar scrapeable, the labels that name a scrape target's pod, and the
 * assessments (a series selector plus what it must show) that prove the mesh counted the suite's traffic. A mesh
 * profile provides this; the check and the sources know no metric names of their own.
 */
import type { MeshGrafana } from './grafana-datasource.ts';
import type { V1Namespace } from '@kubernetes/client-node';
import type { IngressSource } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { SharedObject } from '../k8s/write-scope.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { InClusterPrometheus } from './prometheus-endpoint.ts';

/** An instant-vector selector: `metric{label="value",…}`. */
export interface SeriesSelector {
  metric: string;
  labels: Record<string, string>;
}

/** One series' current value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Whose metrics, and what the suite did that they must count. */
export interface MetricsSubject {
  namespace: string;
  pod: string;
  /** 2xx responses the suite received through the ingress. */
  sent: number;
  /** The identity the ingress presented (the mesh may restrict its counter to it). */
  source: IngressSource | undefined;
}

/** One thing the metrics must show, polled until it holds. */
export interface MetricAssessment {
  /** Step title: `assess: envoy_server_live{source_namespace="ns"} is 1`. */
  title: string;
  /** Completes "waiting for …" in a timeout: `envoy_server_live to be 1`. */
  description: string;
  series: SeriesSelector;
  /** Judges the series (`null`: this source does not collect the metric; a mesh decides whether that passes). */
  judge(samples: readonly Sample[] | null): Observation<readonly Sample[]>;
}

/** How Azure Monitor Container insights stores this mesh's metrics in a Log Analytics workspace. */
export interface LogAnalyticsMapping {
  /** The documented query for a namespace's rows. */
  query(namespace: string): string;
  /** Tags naming the row's namespace and pod. */
  namespaceTag: string;
  podTag: string;
  /** Metric names the agent keeps (its fieldpass list); others are "not collected by this source". */
  collected: readonly string[];
  /** The tag a series label is stored under (`source_namespace` → `namespace`). */
  tagOf(label: string): string;
}

/** What a change to a shared object did, so its restore undoes exactly that. */
export interface CollectionChange {
  /** The namespaces this change added (empty: all were listed already, nothing to undo). */
  namespaces: string[];
  /** One line for the report: `kube-system/x: added ns (restored afterwards)`. */
  summary: string;
}

/**
 * A cluster-wide change that makes the metrics backend collect the run's namespaces (Container insights' ConfigMap):
 * made only with the user's opt-in, merged, and restored afterwards (fixtures/metrics.ts says when).
 */
export interface MetricsCollection {
  readonly object: SharedObject;
  /** Lists all of `namespaces` in one write (the agent restarts on each edit). */
  ensure(client: KubeClient, namespaces: readonly string[], budgetMs: number): Promise<CollectionChange>;
  restore(client: KubeClient, change: CollectionChange, budgetMs: number): Promise<string>;
  /** The namespaces the agent is told to collect now (read only; empty without the shared object). */
  listed(client: KubeClient, budgetMs: number): Promise<string[]>;
}

/** A mesh's metrics, as the metrics check and the readiness check use them. */
export interface MeshMetrics {
  /** Pod annotations the injector adds when metrics are on. */
  podAnnotations: Record<string, string>;
  /** Why an onboarded namespace's pods lack the annotations (metrics not enabled on it), or undefined. */
  whyNotAnnotated(ns: V1Namespace | undefined): string | undefined;
  /** How to turn metrics on for a namespace, for hints. */
  enableHint(namespace: string): string;
  /** Labels that name a scrape target's namespace and pod (the mesh's Prometheus relabelling). */
  targetLabels: { namespace: string; pod: string };
  /** What must hold once the pod is a target that is up, in order. */
  assessments(subject: MetricsSubject): MetricAssessment[];
  /** The mesh's own Prometheus in the cluster (the default source). */
  prometheus: InClusterPrometheus;
  /** Container insights (AKS), when the mesh has a documented mapping. */
  logAnalytics?: LogAnalyticsMapping;
  /** The shared object that tells the Log Analytics agent to collect a namespace. */
  collection?: MetricsCollection;
  /** The mesh's Grafana, when the mesh ships one: `check` reports whether its Prometheus data source answers. */
  grafana?: MeshGrafana;
}

/** The sum of the series' values (undefined: no series). */
export function sumOf(samples: readonly Sample[] | null): number | undefined {
  return samples && samples.length ? samples.reduce((s, x) => s + x.value, 0) : undefined;
}
