import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../process/helpers.js';

/** Runs the real CLI as `npm run admin` does (tsx), with exactly `env`, piping `stdin`. */
function admin(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/admin.ts'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the admin CLI as a process', () => {
  it('runs end to end: JSON on stdout, progress on stderr, exit codes, help', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-proc-'));
    const env = { DATA_DIR: dataDir, APP_PORT: '0', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' };
    try {
      const org = await admin(['org', 'create', 'Proc', 'Org', '--json'], env);
      assert.equal(org.code, 0, org.stderr);
      const orgId = (JSON.parse(org.stdout) as { organization: { _id: string } }).organization._id;
      const user = await admin(['user', 'create', 'proc-user', '--org', orgId, '--password-stdin', '--json'], env, 'from-stdin\n');
      assert.equal(user.code, 0, user.stderr);
      assert.equal((JSON.parse(user.stdout) as { user: { login: string } }).user.login, 'proc-user');
      const del = await admin(['org', 'delete', 'Proc Org', '--yes'], env);
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, /deleted organization "Proc Org" .* with:\n[\s\S]*users +1/);
      // Not a terminal: one plain progress line at the end.
      assert.match(del.stderr, /deleting organization Proc Org \[#+\] \d+\/\d+ 100%/);
      const help = await admin(['push', 'purge', '--help'], env);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /usage: npm run admin -- push purge --older-than <age> \| --all --yes/);
      const wrong = await admin(['user', 'frobnicate'], env);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /unknown command "user frobnicate"/);
      const doctor = await admin(['doctor', '--json'], env);
      assert.equal(doctor.code, 0, doctor.stdout);
      assert.equal((JSON.parse(doctor.stdout) as { ok: boolean }).ok, true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
