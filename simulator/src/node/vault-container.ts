/**
 * A HashiCorp Vault server (OSM's Vault provider, src/certificates/certificate-providers.ts). What OSM and `check`
 * ask of it: `GET /v1/sys/health` (200 initialised, unsealed and active; 503 sealed; Vault's documented status codes)
 * and the PKI issue endpoint, which a sealed server refuses with 503 `{"errors":["Vault is sealed"]}`. Started
 * with `-dev`, Vault initialises and unseals itself in memory; started as a server (`vault server -config=…`), it
 * comes up sealed and stays so: unsealing (`vault operator unseal`) and the PKI engine are not emulated.
 */
import http from 'node:http';
import { inProcessContainer } from './container.ts';
import type { ContainerContext, RunningContainer } from './container.ts';
import { listenOn } from './network.ts';

export async function startVaultContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const plan = ctx.ports.find((p) => p.containerName === ctx.container.name);
  const port = plan?.listenPort ?? 8200;
  const args = [...(ctx.container.command ?? []), ...(ctx.container.args ?? [])];
  const sealed = !args.some((a) => a === '-dev' || a.startsWith('-dev='));
  const version = /:v?(\d+\.\d+\.\d+)/.exec(ctx.container.image ?? '')?.[1] ?? '1.15.6';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    };
    if (url.pathname === '/v1/sys/health') {
      const now = Math.floor(ctx.clock().getTime() / 1000);
      send(sealed ? 503 : 200, { initialized: true, sealed, standby: sealed, performance_standby: false, replication_performance_mode: 'disabled', replication_dr_mode: 'disabled', server_time_utc: now, version, cluster_name: sealed ? undefined : 'vault-cluster-sim' });
      return;
    }
    if (sealed) {
      send(503, { errors: ['Vault is sealed'] });
      return;
    }
    // Unsealed (dev mode): the PKI engine is not emulated.
    send(404, { errors: [] });
  });
  await listenOn(server, ctx.podIP, port);
  ctx.log(`==> Vault server configuration:\n\n             Api Address: http://${ctx.podIP}:${plan?.containerPort ?? port}\n                 Version: Vault v${version}\n\n==> Vault server started! Log data will stream in below:\n`);
  if (sealed) ctx.log(`${ctx.clock().toISOString()} [INFO]  core: security barrier not initialized`);
  return inProcessContainer(() => new Promise<void>((resolve) => server.close(() => resolve())));
}
