import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/free-port.js';
import type { RunningServer } from './servers.js';
import { describeVersion, guardedStop, readyXmpp, requireBinary, runAs } from './xmpp-launch.js';

export const PROSODY_DOMAIN = 'localhost';
export const PROSODY_MUC_DOMAIN = `conference.${PROSODY_DOMAIN}`;

/** Lua string literal for a path (JSON escapes are a subset of Lua's for the characters a temp path holds). */
const lua = (s: string): string => JSON.stringify(s);

/**
 * Prosody's configuration for one benchmark run. It starts from Prosody's built-in defaults
 * (not the package's /etc/prosody/prosody.cfg.lua, which loads many modules and rate-limits
 * clients) and sets only what the workload needs and what the comparison must not be skewed by;
 * docs/benchmarks.md ("XMPP servers on the same machine") gives the reason for each line.
 */
export function prosodyConfig(dir: string, httpPort: number): string {
  return `-- Written by bench/lib/prosody.ts for one benchmark run (see docs/benchmarks.md).
data_path = ${lua(join(dir, 'data'))}
pidfile = ${lua(join(dir, 'prosody.pid'))}
certificates = ${lua(join(dir, 'certs'))}
log = { { levels = { min = "warn" }, to = "console" } }
network_backend = "epoll"

modules_enabled = { "saslauth", "register", "websocket" }
modules_disabled = { "s2s", "s2s_auth_certs" }
c2s_ports = {}
s2s_ports = {}
https_ports = {}
http_ports = { ${httpPort} }
http_interfaces = { "127.0.0.1" }
http_default_host = ${lua(PROSODY_DOMAIN)}

c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
allow_registration = true

VirtualHost ${lua(PROSODY_DOMAIN)}

Component ${lua(PROSODY_MUC_DOMAIN)} "muc"
  muc_room_default_history_length = 0
  muc_room_cache_size = 1000000
  muc_occupant_id = false
`;
}

/**
 * Starts Prosody on a free loopback port with a fresh data dir (removed on stop), as the
 * `prosody` user when run as root (Prosody refuses root). `pid` is the Prosody process itself:
 * setpriv and the script's interpreter line both exec in place.
 */
export async function startProsody(): Promise<RunningServer> {
  const bin = requireBinary('prosody', 'prosody');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'prosody-bench-'));
  const as = runAs('prosody');
  const data = join(dir, 'data');
  const config = join(dir, 'prosody.cfg.lua');
  const certs = join(dir, 'certs');
  mkdirSync(data);
  mkdirSync(certs); // empty: no TLS on loopback, but Prosody indexes the directory at start
  writeFileSync(config, prosodyConfig(dir, port));
  as.own(dir, data, certs, config);
  const [cmd, args] = as.command(bin, ['-F', '--config', config]);
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'inherit', 'inherit'] });
  const pid = child.pid ?? 0;
  const stop = guardedStop(child, pid, dir);
  const wsUrl = `ws://127.0.0.1:${port}/xmpp-websocket`;
  return readyXmpp({ name: 'prosody', child, pid, port, wsUrl, dir, domain: PROSODY_DOMAIN, mucDomain: PROSODY_MUC_DOMAIN, version: describeVersion('prosody', 'lua5.4'), stop, t0 });
}
