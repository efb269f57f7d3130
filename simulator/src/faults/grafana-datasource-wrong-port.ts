/**
 * osm-grafana's Prometheus data source names port 9090 (Prometheus's default) instead of osm-prometheus's 7070, as a
 * hand-edited provisioning file might: Grafana runs and its dashboards stay empty. `check` fails the line
 * metrics/grafana/Prometheus; a conformance run, which reads Prometheus directly, still passes. The kind flavor only:
 * it is the one that deploys Grafana (the AKS add-on does not).
 */
import { defineFault } from './fault.ts';

export const grafanaDatasourceWrongPort = defineFault({
  name: 'grafana-datasource-wrong-port',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'osm-grafana\'s Prometheus data source points at osm-prometheus port 9090 (which the Service does not have): `check` fails metrics/grafana; a conformance run still passes',
  hooks: () => ({ mesh: { grafanaDatasourceWrongPort: true } }),
});
