// `npm run build`: compiles src/ to dist/ and stamps dist/ with the sources' fingerprint, which
// `npm start` (scripts/start.mjs) compares to decide whether to build again.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, findTsc } from './build-state.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
if (findTsc(root) === undefined) {
  process.stderr.write('parley: cannot build: TypeScript is not installed (dev dependencies are needed to build; run `npm ci`)\n');
  process.exit(1);
}
process.exitCode = await build(root);
