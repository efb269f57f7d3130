/**
 * The project's own image, `ghcr.io/mesh-conformance/mesh-conformance:<version>` (any registry or tag; the repository
 * name `mesh-conformance` is what matches), as the simulated kubelet runs it: the harness's CLI
 * (`bin/mesh-conformance.js` of this checkout) as a child process with the environment a pod gives it, so a Job that
 * runs the image in the simulated cluster runs the harness in-cluster against the same simulated API server.
 *
 * What the container gets, as a real pod would:
 * - `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` of the API server, and the service account's token, the
 *   cluster CA and the namespace (the projected `kube-api-access-*` volume at
 *   /var/run/secrets/kubernetes.io/serviceaccount; not when `automountServiceAccountToken` is false). The token is
 *   the simulated API server's one bearer token: the simulator has a single identity and does not evaluate RBAC.
 * - the container's `env` (`value`, and `valueFrom.fieldRef` for the pod's name, namespace and service account),
 *   with `$(VAR)` references expanded in `args` and `env` as the kubelet does.
 * - its `volumeMounts` of `emptyDir` (a directory of the container's, removed when it ends) and `hostPath` (the
 *   host's directory itself: the simulated node's filesystem is the host's).
 *
 * The process runs on the host, not in a mount namespace, so container paths cannot exist as such: every mount path
 * that appears in `args` or an `env` value (exactly, as a prefix, or after `=`) is rewritten to the host directory
 * behind it, and the service-account directory is handed over in `MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR`, the
 * harness's documented test override of that path. A `command` must be the image's entrypoint (`mesh-conformance`,
 * or `node …/mesh-conformance.{js,mjs}`); anything else fails to start, as an exec of a missing binary does.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants, accessSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../cluster/types.ts';
import type { ContainerContext, RunningContainer } from './container.ts';
import { field } from './kinds.ts';

/** The image the project publishes (docs/fleet.md): its repository is what the kubelet recognises. */
export const harnessImage = 'ghcr.io/mesh-conformance/mesh-conformance';

/** The CLI this checkout runs as the image's entrypoint (spawned by path: the simulator never imports harness code). */
const cliPath = fileURLToPath(new URL('../../../bin/mesh-conformance.js', import.meta.url));
const serviceAccountMount = '/var/run/secrets/kubernetes.io/serviceaccount';
const setpriv = '/usr/bin/setpriv';

/** Whether an image repository (registry and tag stripped) is the project's image. */
export function isHarnessImage(repo: string): boolean {
  return repo === 'mesh-conformance' || repo.endsWith('/mesh-conformance');
}

type EnvVar = { name?: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } };
type VolumeMount = { name?: string; mountPath?: string };
type Volume = { name?: string; emptyDir?: unknown; hostPath?: { path?: string } };

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every harness process group still running when the simulator exits (the kernel's pdeathsig covers a SIGKILL). */
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) if (c.pid) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** `$(VAR)` → its value, `$$(VAR)` → `$(VAR)`, unknown references kept as written (the kubelet's expansion). */
export function expandReferences(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$\(|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (name === undefined ? '$(' : vars.get(name) ?? m));
}

/** Rewrites container paths to the host directories behind them (longest mount first). */
export function translatePaths(value: string, mounts: [string, string][]): string {
  for (const [inside, outside] of [...mounts].sort((a, b) => b[0].length - a[0].length)) {
    if (value === inside || value.startsWith(`${inside}/`)) return outside + value.slice(inside.length);
    const eq = value.indexOf(`=${inside}`);
    if (eq >= 0 && (value.length === eq + 1 + inside.length || value[eq + 1 + inside.length] === '/')) return value.slice(0, eq + 1) + outside + value.slice(eq + 1 + inside.length);
  }
  return value;
}

function fieldValue(pod: KubeObject, path: string | undefined): string | undefined {
  if (path === 'metadata.name') return pod.metadata.name;
  if (path === 'metadata.namespace') return pod.metadata.namespace;
  if (path === 'spec.serviceAccountName') return field<string>(field(pod, 'spec'), 'serviceAccountName') ?? 'default';
  return undefined;
}

/** The command line to exec: the image's entrypoint, or a refusal naming what cannot be run. */
function entrypoint(command: string[] | undefined): string | undefined {
  if (!command?.length) return undefined;
  const [first = '', second = ''] = command;
  if (basename(first) === 'mesh-conformance' && command.length === 1) return undefined;
  if (basename(first) === 'node' && /mesh-conformance\.(m?js)$/.test(second) && command.length === 2) return undefined;
  return `exec: "${first}": not found in the simulated ${harnessImage} image (its entrypoint is mesh-conformance; pass arguments in args)`;
}

/** Starts the harness as the pod's container; resolves once the process runs. */
export async function startHarnessContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const api = ctx.apiServer;
  if (!api) throw new Error('the simulated node has no API server access to give the pod');
  const refusal = entrypoint(ctx.container.command);
  if (refusal) throw new Error(refusal);
  const pod = ctx.pod;
  const podSpec = field<Record<string, unknown>>(pod, 'spec') ?? {};
  const root = mkdtempSync(join(tmpdir(), 'mesh-sim-container-'));
  const mounts: [string, string][] = [];
  try {
    // The projected service-account volume, as the ServiceAccount admission plugin and the kubelet provide it.
    if (podSpec.automountServiceAccountToken !== false) {
      const sa = join(root, 'serviceaccount');
      mkdirSync(sa, { recursive: true });
      writeFileSync(join(sa, 'token'), api.token, { mode: 0o600 });
      writeFileSync(join(sa, 'ca.crt'), api.caPem);
      writeFileSync(join(sa, 'namespace'), pod.metadata.namespace ?? 'default');
      mounts.push([serviceAccountMount, sa]);
    }
    const volumes = (podSpec.volumes as Volume[] | undefined) ?? [];
    for (const m of (ctx.container.volumeMounts as VolumeMount[] | undefined) ?? []) {
      const volume = volumes.find((v) => v.name === m.name);
      if (!m.mountPath || !volume) throw new Error(`volume mount ${m.name ?? '?'}: no such volume in the pod`);
      if (volume.hostPath?.path) {
        mkdirSync(volume.hostPath.path, { recursive: true });
        mounts.push([m.mountPath, volume.hostPath.path]);
      } else if (volume.emptyDir !== undefined) {
        const dir = join(root, 'volumes', volume.name ?? 'volume');
        mkdirSync(dir, { recursive: true });
        mounts.push([m.mountPath, dir]);
      } else {
        throw new Error(`volume ${volume.name ?? '?'}: only emptyDir and hostPath volumes are emulated for the ${harnessImage} image`);
      }
    }
    const url = new URL(api.url);
    const vars = new Map<string, string>([['KUBERNETES_SERVICE_HOST', url.hostname], ['KUBERNETES_SERVICE_PORT', url.port || '443'], ['HOSTNAME', pod.metadata.name ?? '']]);
    for (const e of (ctx.container.env as EnvVar[] | undefined) ?? []) {
      if (!e.name) continue;
      const value = e.valueFrom ? fieldValue(pod, e.valueFrom.fieldRef?.fieldPath) : expandReferences(e.value ?? '', vars);
      if (value === undefined) throw new Error(`env ${e.name}: only value and valueFrom.fieldRef (metadata.name, metadata.namespace, spec.serviceAccountName) are emulated`);
      vars.set(e.name, value);
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), TMPDIR: join(root, 'tmp'),
      ...Object.fromEntries([...vars].map(([k, v]) => [k, translatePaths(v, mounts)])),
      ...(mounts.some(([inside]) => inside === serviceAccountMount) ? { MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR: join(root, 'serviceaccount') } : {}),
    };
    mkdirSync(env.HOME ?? root, { recursive: true });
    mkdirSync(env.TMPDIR ?? root, { recursive: true });
    const workdir = join(root, 'work');
    mkdirSync(workdir, { recursive: true });
    const args = (ctx.container.args ?? []).map((a) => translatePaths(expandReferences(a, vars), mounts));
    const withPdeathsig = (() => {
      try {
        accessSync(setpriv, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    })();
    // setpriv ties the harness to the simulator (PR_SET_PDEATHSIG): SIGTERM lets it clean up what it created.
    const child = withPdeathsig
      ? spawn(setpriv, ['--pdeathsig', 'SIGTERM', '--', process.execPath, cliPath, ...args], { cwd: workdir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [cliPath, ...args], { cwd: workdir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', (line) => ctx.log(line));
    const exited = new Promise<number>((resolve) => {
      child.once('error', (err) => {
        ctx.log(`exec failed: ${err.message}`);
        resolve(127);
      });
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 9)));
    }).finally(() => rmSync(root, { recursive: true, force: true }));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    const graceMs = (typeof podSpec.terminationGracePeriodSeconds === 'number' ? podSpec.terminationGracePeriodSeconds : 30) * 1000;
    return {
      ready: true,
      exited,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // As the kubelet: SIGTERM (the harness removes what it created), SIGKILL to the group after the grace period.
        const timer = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch { /* gone */ }
        }, graceMs);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
