/**
 * Exec credential plugins (`users[].user.exec`: kubelogin, aws, gke-gcloud-auth-plugin), run as kubectl runs them
 * but bounded: each run of a plugin gets the API budget (`timeouts.apply`), is stopped (its whole process group)
 * when that runs out and when the process exits or is interrupted, and a failure names the plugin's command. (client-node's
 * own ExecAuth waits for the plugin forever and never kills it.) kubelogin's device-code login, which waits for a
 * browser sign-in on a terminal this tool never shows, is told apart by its arguments and its prompt.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { isCredentialParam } from '../report/redact.ts';
import { formatDuration } from '../timeouts.ts';

/** The exec block of a kubeconfig user. */
export interface ExecConfig {
  command: string;
  args?: string[] | undefined;
  env?: { name: string; value: string }[] | undefined;
  apiVersion?: string | undefined;
  installHint?: string | undefined;
}

/** A credential could not be had from the kubeconfig: the message names the plugin, the hint says what to do. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

/** What client-node's authenticators implement (not exported by client-node). */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The auth-provider name our loader gives users with an exec block, so client-node's unbounded ExecAuth never runs them. */
export const boundedExecProvider = 'mesh-conformance-bounded-exec';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every credential plugin still running (the CLI calls it on Ctrl-C/SIGTERM; it also runs at exit). */
export function stopCredentialPlugins(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

/** The plugin's command line as messages show it: values of credential-looking flags (`--client-secret x`) redacted. */
export function describePlugin(exec: ExecConfig): string {
  const args = exec.args ?? [];
  const shown: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] ?? '';
    const m = /^--?([^=]+)=(.*)$/.exec(a);
    if (m && isCredentialParam(m[1] ?? '')) {
      shown.push(`--${m[1]}=<redacted>`);
      continue;
    }
    shown.push(a);
    const flag = /^--?([a-z][a-z0-9-]*)$/i.exec(a)?.[1];
    if (flag && isCredentialParam(flag) && i + 1 < args.length) {
      shown.push('<redacted>');
      i += 1;
    }
  }
  return [exec.command, ...shown].join(' ');
}

/** kubelogin asked for its device-code login (the default when no `--login`/`-l` names another). */
export function isKubeloginDeviceCode(exec: ExecConfig): boolean {
  if (!basename(exec.command).startsWith('kubelogin')) return false;
  const args = exec.args ?? [];
  if (!args.includes('get-token')) return false;
  const at = args.findIndex((a) => a === '--login' || a === '-l' || a.startsWith('--login='));
  const env = exec.env?.find((e) => e.name === 'AAD_LOGIN_METHOD')?.value;
  const mode = at < 0 ? env ?? 'devicecode' : args[at]?.startsWith('--login=') ? args[at]?.slice('--login='.length) : args[at + 1];
  return mode === 'devicecode';
}

const deviceCodeHint = 'kubelogin\'s device-code login waits for a browser sign-in on a terminal this run never shows: '
  + 'switch the kubeconfig to the Azure CLI login with `kubelogin convert-kubeconfig -l azurecli` (after `az login`), then retry';

/** A line by which a plugin asks someone to sign in on a device (kubelogin, az): it would wait for nobody. */
const deviceCodePrompt = /devicelogin|enter the code|device code/i;

interface ExecCredential {
  status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string };
}

/**
 * Runs one exec plugin, bounded by `budgetMs`; resolves with its ExecCredential. Rejects with a `CredentialError`
 * naming the plugin when it is missing, fails, prints no credential, asks for a device login, or does not return
 * in time (it is then killed).
 */
export function runCredentialPlugin(exec: ExecConfig, opts: { budgetMs: number; user: string; env?: NodeJS.ProcessEnv }): Promise<ExecCredential> {
  const what = `the kubeconfig's exec credential plugin \`${describePlugin(exec)}\` (user ${opts.user})`;
  const deviceCode = isKubeloginDeviceCode(exec);
  // The plugin gets the caller's environment, but none of our own settings (they may hold credentials).
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(opts.env ?? process.env).filter(([k]) => !k.startsWith('MESH_CONFORMANCE_')));
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', stopCredentialPlugins);
  }
  return new Promise<ExecCredential>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(exec.command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      reject(new CredentialError(`${what} could not start: ${err instanceof Error ? err.message : String(err)}`, 'fix users[].user.exec in the kubeconfig, or refresh it'));
      return;
    }
    live.add(child);
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (err: Error | undefined, value?: ExecCredential): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value ?? {});
    };
    const stop = (): void => {
      killGroup(child, 'SIGKILL');
      live.delete(child);
    };
    const timer = setTimeout(() => {
      stop();
      finish(new CredentialError(`${what} did not return within ${formatDuration(opts.budgetMs)} (timeouts.apply); it was stopped`,
        deviceCode ? deviceCodeHint : 'run the plugin by hand to see what it waits for (a login prompt, a network call), fix that, or raise timeouts.apply'));
    }, opts.budgetMs);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => { stdout += d; });
    child.stderr?.on('data', (d: string) => {
      stderr += d;
      if (deviceCodePrompt.test(stderr)) {
        stop();
        finish(new CredentialError(`${what} asks for a device-code sign-in, which this non-interactive run cannot show; it was stopped`, deviceCodeHint));
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      live.delete(child);
      const hint = exec.installHint ? `install it: ${exec.installHint.trim().split('\n')[0] ?? ''}` : 'install it, or fix users[].user.exec.command in the kubeconfig';
      finish(new CredentialError(err.code === 'ENOENT' ? `${what} is not installed or not on PATH` : `${what} could not start: ${err.message}`, hint));
    });
    child.on('close', (code, signal) => {
      live.delete(child);
      if (settled) return;
      if (code !== 0) {
        const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? 'no message';
        finish(new CredentialError(`${what} failed (${signal ?? `exit ${code}`}): ${last.slice(0, 300)}`,
          deviceCode ? deviceCodeHint : 'run the plugin by hand to see why; log in again or refresh the kubeconfig'));
        return;
      }
      try {
        const cred = JSON.parse(stdout) as ExecCredential;
        if (!cred.status || (!cred.status.token && !cred.status.clientCertificateData)) throw new Error('no status.token or status.clientCertificateData');
        finish(undefined, cred);
      } catch (err) {
        finish(new CredentialError(`${what} printed no ExecCredential (${err instanceof Error ? err.message : String(err)})`, 'run the plugin by hand; it must print an ExecCredential JSON document'));
      }
    });
  });
}

/**
 * client-node authenticator for the users whose exec block our loader moved here: one plugin run at a time per
 * user, its credential cached until `expirationTimestamp`, every run bounded (see `runCredentialPlugin`).
 */
export class BoundedExecAuthenticator implements Authenticator {
  private readonly cache = new Map<string, ExecCredential>();
  private readonly inFlight = new Map<string, Promise<ExecCredential>>();

  constructor(private readonly execs: ReadonlyMap<string, ExecConfig>, private readonly budgetMs: number) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === boundedExecProvider && this.execs.has(user.name);
  }

  async applyAuthentication(user: User, opts: Parameters<Authenticator['applyAuthentication']>[1]): Promise<void> {
    const cred = await this.credential(user.name);
    const s = cred.status ?? {};
    const o = opts as { headers?: Record<string, unknown>; cert?: unknown; key?: unknown };
    if (s.clientCertificateData) o.cert = s.clientCertificateData;
    if (s.clientKeyData) o.key = s.clientKeyData;
    if (s.token) o.headers = { ...o.headers, Authorization: `Bearer ${s.token}` };
  }

  private async credential(userName: string): Promise<ExecCredential> {
    const cached = this.cache.get(userName);
    const expires = cached?.status?.expirationTimestamp ? Date.parse(cached.status.expirationTimestamp) : Number.NaN;
    // Without an expiry a credential holds for the process (as client-go keeps it until a 401).
    if (cached && (Number.isNaN(expires) || expires > Date.now() + 10_000)) return cached;
    const running = this.inFlight.get(userName);
    if (running) return running;
    const exec = this.execs.get(userName);
    if (!exec) throw new CredentialError(`no exec block for user ${userName}`, 'refresh the kubeconfig');
    const p = runCredentialPlugin(exec, { budgetMs: this.budgetMs, user: userName }).then((cred) => {
      this.cache.set(userName, cred);
      return cred;
    }).finally(() => this.inFlight.delete(userName));
    this.inFlight.set(userName, p);
    return p;
  }
}
