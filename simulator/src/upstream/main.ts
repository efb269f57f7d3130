/**
 * The upstream control plane alone, for manual testing (control-plane.ts; build it first with
 * `node scripts/upstream-build.mjs`):
 *   node --import tsx simulator/src/upstream/main.ts [--kubeconfig FILE] [--etcd BINARY] [--no-scheduler] [--no-controller-manager]
 *     [--service-account-credentials]
 * Prints one `upstream control plane ready ...` line on stdout, serves until SIGINT or SIGTERM, then stops every
 * process and removes its directory. Bad arguments: one line on stderr, exit 2; a failed start: one line, exit 1.
 */
import { Command, CommanderError } from 'commander';
import { startUpstreamControlPlane } from './control-plane.ts';
import type { UpstreamControlPlane } from './control-plane.ts';

const program = new Command('upstream-control-plane')
  .exitOverride()
  .configureOutput({ writeErr: () => undefined })
  .option('--kubeconfig <file>', 'also write the admin kubeconfig here (it is always in the temp dir)')
  .option('--etcd <binary>', 'etcd binary (default: the one upstream-build built)')
  .option('--no-scheduler', 'do not start kube-scheduler')
  .option('--no-controller-manager', 'do not start kube-controller-manager')
  .option('--service-account-credentials', 'run each controller as its own service account (kubeadm-like, about 5 s slower to start)')
  .option('--ready-timeout <seconds>', 'bound on reaching /readyz', '60');
try {
  program.parse(process.argv.slice(2), { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) process.exit(0);
  process.stderr.write(`upstream: ${error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error)}\n`);
  process.exit(2);
}
const o = program.opts<{ kubeconfig?: string; etcd?: string; scheduler: boolean; controllerManager: boolean; serviceAccountCredentials?: boolean; readyTimeout: string }>();
const readySeconds = Number(o.readyTimeout);
if (!Number.isFinite(readySeconds) || readySeconds <= 0) {
  process.stderr.write(`upstream: invalid --ready-timeout "${o.readyTimeout}": expected a positive number of seconds\n`);
  process.exit(2);
}

let cp: UpstreamControlPlane | undefined;
let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`upstream: ${signal} received, stopping\n`);
  void (cp?.stop() ?? Promise.resolve()).then(() => process.exit(0));
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  cp = await startUpstreamControlPlane({
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.etcd ? { etcdBinary: o.etcd } : {}),
    scheduler: o.scheduler,
    controllerManager: o.controllerManager,
    serviceAccountCredentials: o.serviceAccountCredentials === true,
    readyTimeoutMs: readySeconds * 1000,
  });
} catch (error) {
  process.stderr.write(`upstream: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}
const timings = Object.entries(cp.startupMs).map(([k, v]) => `${k}=${v}ms`).join(',');
const pids = Object.entries(cp.pids).map(([k, v]) => `${k}=${v}`).join(',');
process.stdout.write(`upstream control plane ready kubeconfig=${o.kubeconfig ?? cp.kubeconfig} server=${cp.server} kubernetes=${cp.versions.kubernetes} etcd=${cp.versions.etcd} dir=${cp.dir} startup=${timings} pids=${pids}\n`);
if (stopping) await cp.stop();
