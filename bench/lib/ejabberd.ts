import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/free-port.js';
import type { RunningServer } from './servers.js';
import { describeVersion, findProcess, guardedStop, readyXmpp, requireBinary, runAs } from './xmpp-launch.js';

export const EJABBERD_DOMAIN = 'localhost';
export const EJABBERD_MUC_DOMAIN = `conference.${EJABBERD_DOMAIN}`;

/**
 * ejabberd's configuration for one benchmark run, written from scratch rather than from the
 * package's /etc/ejabberd/ejabberd.yml (which listens on many ports, requires STARTTLS, shapes
 * client traffic and loads dozens of modules): one plain WebSocket listener on loopback, the two
 * modules the workload uses, and everything else at ejabberd's built-in defaults.
 * docs/benchmarks.md ("XMPP servers on the same machine") gives the reason for each line.
 */
export function ejabberdConfig(httpPort: number): string {
  return `# Written by bench/lib/ejabberd.ts for one benchmark run (see docs/benchmarks.md).
hosts:
  - ${EJABBERD_DOMAIN}
loglevel: warning
log_rotate_count: 0
acme:
  auto: false
listen:
  -
    port: ${httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /ws: ejabberd_http_ws
auth_method: internal
auth_password_format: plain
registration_timeout: infinity
modules:
  mod_register:
    ip_access: all
  mod_muc:
    host: ${EJABBERD_MUC_DOMAIN}
    history_size: 0
    default_room_options:
      mam: false
      persistent: false
`;
}

/**
 * Settings for the package's ejabberdctl script: a node name of our own, and Erlang distribution
 * on a fixed loopback port instead of through epmd, so no epmd daemon is left running after the
 * bench. The VM flags are ejabberdctl's own defaults.
 */
function ctlConfig(node: string, distPort: number): string {
  return `# Written by bench/lib/ejabberd.ts for one benchmark run.
ERLANG_NODE=${node}
ERL_DIST_PORT=${distPort}
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"
`;
}

/**
 * Starts ejabberd through the package's `ejabberdctl foreground` on a free loopback port with a
 * fresh spool, log and config dir (removed on stop), as the `ejabberd` user when run as root
 * (ejabberdctl accepts only root or that user). `pid` is the Erlang VM (beam.smp), not the
 * ejabberdctl shell that waits for it.
 */
export async function startEjabberd(): Promise<RunningServer> {
  const ctl = requireBinary('ejabberdctl', 'ejabberd');
  const port = await freePort();
  const distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ejabberd-bench-'));
  const as = runAs('ejabberd');
  const spool = join(dir, 'spool');
  const logs = join(dir, 'logs');
  const files = { config: join(dir, 'ejabberd.yml'), ctl: join(dir, 'ejabberdctl.cfg'), inetrc: join(dir, 'inetrc') };
  mkdirSync(spool);
  mkdirSync(logs);
  writeFileSync(files.config, ejabberdConfig(port));
  writeFileSync(files.ctl, ctlConfig(`bench${port}@localhost`, distPort));
  // ejabberdctl points the VM's resolver at <config dir>/inetrc: hosts file first, then DNS.
  writeFileSync(files.inetrc, '{lookup,["file","native"]}.\n');
  as.own(dir, spool, logs, files.config, files.ctl, files.inetrc);
  const [cmd, args] = as.command(ctl, ['--config-dir', dir, '--config', files.config, '--ctl-config', files.ctl, '--logs', logs, '--spool', spool, 'foreground']);
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'inherit', 'inherit'] });
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  let pid: number;
  try {
    pid = await findProcess(child, 'beam.smp');
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const hint = process.getuid?.() === 0 ? '' : ' (ejabberdctl runs only as root or as the ejabberd user)';
    throw new Error(`ejabberd did not start${hint}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const stop = guardedStop(child, pid, dir);
  return readyXmpp({ name: 'ejabberd', child, pid, port, wsUrl, dir, domain: EJABBERD_DOMAIN, mucDomain: EJABBERD_MUC_DOMAIN, version: describeVersion('ejabberd', 'erlang-base'), stop, t0 });
}
