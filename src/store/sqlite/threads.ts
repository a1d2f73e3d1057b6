import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * Starts a worker thread from a module next to this one (`name` without extension): the built
 * .js, or the .ts source under tsx (tests, `npm run dev`).
 */
export function startThread(name: string, workerData: unknown, transferList: readonly TransferListItem[] = []): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url);
  const options = { workerData, transferList: [...transferList] };
  if (!fromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
