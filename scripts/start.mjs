// `npm start`: builds dist/ only when it is missing or older than the sources, then runs
// dist/main.js in this same process, so signals (SIGTERM: graceful shutdown) and the exit code
// are the server's own and no second Node.js starts. Plain JavaScript with no dependencies: it
// also starts a production install (no TypeScript) whose dist/ is current.
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './build-state.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const code = await ensureBuilt(root, 'start');
if (code !== 0) process.exit(code);
// dist/main.js starts the server when it is the process's main script (argv[1]); make it so.
// Worker processes (CLUSTER_WORKERS) are forked from argv[1] too, so they run dist/main.js itself.
const main = realpathSync(join(root, 'dist', 'main.js'));
process.argv[1] = main;
await import(pathToFileURL(main).href);
