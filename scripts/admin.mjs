// `npm run admin -- …`: the admin CLI from dist/ (built first when the sources changed, as
// `npm start` does), so it also runs in a production install, where TypeScript and tsx are gone.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './build-state.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const code = await ensureBuilt(root, 'run the admin CLI');
if (code !== 0) process.exit(code);
await import(pathToFileURL(join(root, 'dist', 'cli', 'admin.js')).href);
