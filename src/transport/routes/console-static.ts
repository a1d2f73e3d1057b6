import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import type { HttpRoutes } from '../http.js';

/** Content types of the files a console build holds; anything else is served as bytes. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console's Content-Security-Policy: its own scripts, styles and images only, no inline
 * script or style element, no frames, no plugins; it talks to this origin only (`'self'`
 * covers ws: and wss: to the same host, CSP level 3).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Files under assets/ carry a content hash in their name, so they never change: cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

/**
 * The file `rel` names inside `root`, or undefined when it would leave it (`..`, a NUL byte) or
 * names a dotfile (the build's stamp).
 */
function inside(root: string, rel: string): string | undefined {
  if (rel.includes('\0') || rel.split(/[\\/]/).some((part) => part.startsWith('.'))) return undefined;
  const path = normalize(join(root, rel));
  return path === root || path.startsWith(root + sep) ? path : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the web console and the chat demo built by `npm run build` (Vite, from web/) out of
 * `root` (dist/console) at `/console/`: `index.html` of a folder for its path, hashed assets
 * cached for a year, HTML revalidated on every load, every response with CONSOLE_CSP. Nothing
 * is fetched from elsewhere. Without a build, `/console/` answers 503 saying how to make one.
 */
export function consoleStaticRoutes(root: string): HttpRoutes {
  const base = normalize(root);
  return (app) => {
    app.get('/console', (_req, reply) => reply.redirect('/console/', 308));
    app.get('/console/*', async (req, reply) => {
      // Fastify has decoded the path already: decoding again would turn %252e into a dot.
      const rel = (req.params as { '*'?: string })['*'] ?? '';
      let path = inside(base, rel);
      if (path !== undefined && (rel === '' || rel.endsWith('/'))) path = join(path, 'index.html');
      else if (path !== undefined && !(await isFile(path)) && (await isFile(join(path, 'index.html')))) {
        // A folder named without its slash: relative URLs inside it need the slash.
        return reply.redirect(`/console/${encodeURI(rel)}/`, 308);
      }
      if (path === undefined || !(await isFile(path))) {
        if (!(await isFile(join(base, 'index.html')))) {
          return secure(reply).code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`.');
        }
        return secure(reply).code(404).type('text/plain; charset=utf-8').send('Not found');
      }
      const body = await readFile(path);
      const hashed = rel.startsWith('assets/');
      return secure(reply)
        .header('cache-control', hashed ? IMMUTABLE : 'no-cache')
        .type(TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
        .send(body);
    });
  };
}
