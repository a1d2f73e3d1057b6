import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate for 127.0.0.1 / localhost. */
export interface TestCert {
  readonly key: string;
  readonly cert: string;
  /** The certificate as a file, for PUSH_CA_FILE. */
  readonly caFile: string;
  remove(): void;
}

/**
 * Why TLS fakes cannot run here (no `openssl` CLI), or undefined when they can. In CI a missing
 * openssl is an error, not a reason to skip.
 */
export function opensslUnavailable(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    const reason = 'the openssl command is not installed; it makes the test certificates';
    if (process.env.CI) throw new Error(`${reason} (CI must run these tests)`);
    return reason;
  }
}

/** Makes a P-256 self-signed certificate valid for one day. */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), caFile: certFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
