import { z } from 'zod';
import { ingressProfileNames } from '../ingress/ingress-profile.ts';
import { meshNames } from '../mesh/mesh-profile.ts';
import { timeoutClasses, timeouts } from '../timeouts.ts';
import { flavors, targets } from './targets.ts';

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `must be one of ${values.join(', ')}` });

const durationMs = z.union([z.number(), z.string()], { error: () => 'must be a duration such as 90s, 2m or 1500 (ms)' })
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 90s, 2m or 1500 (ms)' });
      return z.NEVER;
    }
    return ms;
  });

const booleanish = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: 'must be one of true, false, 1, 0' });
  return z.NEVER;
});

const optionalText = z.string().trim().min(1, { error: 'must not be empty' }).optional();

/** Parses `90s`, `2m`, `1500ms` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
}

/** The resolved configuration of one run, after defaults and every source are merged. */
export const configSchema = z.object({
  target: oneOf(targets).default('local'),
  flavor: oneOf(flavors).optional(),
  kubeconfig: optionalText,
  context: optionalText,
  mesh: oneOf(meshNames).optional(),
  meshName: optionalText,
  meshNamespace: optionalText,
  ingress: oneOf(ingressProfileNames).optional(),
  ingressAddress: z.string().trim().regex(/^(https?:\/\/)?(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d{1,5})?\/?$/i, { error: 'must be a host, host:port or http(s) URL such as localhost, 127.0.0.1:8080 or http://gw.example' }).optional(),
  // Copies of the flow checked at once, one namespace each: the default of `run --namespaces`.
  parallelism: z.coerce.number({ error: () => 'must be a whole number from 1 to 50' })
    .int({ error: 'must be a whole number from 1 to 50' }).min(1, { error: 'must be a whole number from 1 to 50' })
    .max(50, { error: 'must be a whole number from 1 to 50' }).default(1),
  consecutiveSuccesses: z.coerce.number({ error: () => 'must be a whole number from 1 to 100' })
    .int({ error: 'must be a whole number from 1 to 100' }).min(1, { error: 'must be a whole number from 1 to 100' })
    .max(100, { error: 'must be a whole number from 1 to 100' }).default(5),
  timeouts: z.object(Object.fromEntries(timeoutClasses.map((k) => [k, durationMs.default(timeouts[k])])) as Record<keyof typeof timeouts, z.ZodDefault<typeof durationMs>>).default(() => ({ ...timeouts })),
  keepOnFailure: booleanish.default(false),
  /** Sweep dead runs' leftovers before a run on a real cluster (harness/cleanup/leftovers.ts). */
  sweep: booleanish.default(true),
  /** Age after which a dead run's namespace is swept: 30m, 2h, 90s, 0 (any dead run); default 1h. */
  sweepTtl: z.union([z.number(), z.string()], { error: () => 'must be a duration such as 30m, 2h or 0' }).transform((v, ctx) => {
    const h = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*h\s*$/.exec(v) : null;
    const ms = typeof v === 'number' ? v : h ? Number(h[1]) * 3_600_000 : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30m, 2h or 0' });
      return z.NEVER;
    }
    return ms;
  }).default(3_600_000),
  reportDir: z.string().trim().min(1, { error: 'must not be empty' }).default('reports'),
  runId: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/i, { error: 'must be a valid label value (letters, digits, -, ., at most 63)' }).optional(),
  prometheusUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://prometheus.example:9090' }).optional(),
  prometheusToken: optionalText,
  logAnalyticsWorkspace: optionalText,
  logAnalyticsEndpoint: z.url({ protocol: /^https$/, error: 'must be an https URL such as https://api.loganalytics.io/v1' }).optional(),
  azureToken: optionalText,
  azureTokenFile: optionalText,
  azureCaFile: optionalText,
  metricsTimeout: durationMs.optional(),
  simFaults: z.array(z.string().regex(/^[a-z0-9-]+$/, { error: 'must be fault names such as ingress-stuck-502' })).default([]),
  simRequestLog: optionalText,
});

/** Configuration keys, as they appear in messages and (later) in the config file. */
export type ConfigKey = keyof z.input<typeof configSchema>;
