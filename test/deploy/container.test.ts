import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../process/helpers.js';

// The image built and run for real (scripts/container-smoke.sh): opt-in, since it needs root and
// podman and takes minutes (about 7 on a 2-core machine the first time, when it also makes the
// local base images; under a minute after that).
const skip = process.env.PARLEY_CONTAINER_TEST === '1' ? false : 'set PARLEY_CONTAINER_TEST=1 to build and run the image with podman (scripts/container-smoke.sh)';

describe('the container image', { skip }, () => {
  it('builds, runs as a non-root user, turns healthy, chats, keeps its volume and stops gracefully', { timeout: 30 * 60_000 }, () => {
    const run = spawnSync('bash', [join(ROOT, 'scripts', 'container-smoke.sh')], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const tail = `${run.stdout}\n${run.stderr}`.split('\n').slice(-40).join('\n');
    assert.equal(run.status, 0, tail);
    assert.match(run.stdout, /container smoke test passed/);
  });
});
