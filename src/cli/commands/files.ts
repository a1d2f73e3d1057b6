import pino from 'pino';
import { FileService } from '../../domain/files.js';
import { parseDuration } from '../args.js';
import type { StoreCommand } from '../command.js';
import { plural, table, time } from '../format.js';

const sweep: StoreCommand = {
  kind: 'store',
  path: ['files', 'sweep'],
  summary: 'delete files never attached to a message, avatar or conversation image, now',
  usage: '[--older-than <age>] [--dry-run]',
  details: [
    'Does at once what the server does every FILE_CLEANUP_INTERVAL_MS: files announced with',
    'create_files longer ago than FILE_UNATTACHED_EXPIRES_IN (or --older-than: 90s, 15m, 2h, 7d)',
    'and never attached lose their bytes in storage, then their records.',
  ].join('\n'),
  flags: {
    'older-than': { type: 'string', value: '<age>', help: 'unattached for longer than this (default FILE_UNATTACHED_EXPIRES_IN)' },
    'dry-run': { type: 'boolean', help: 'only list the first 100 files that would go' },
  },
  async run(args, ctx) {
    const olderThan = args.string('older-than');
    const unattachedMs = olderThan === undefined ? ctx.config.fileUnattachedExpiresIn * 1000 : parseDuration(olderThan, '--older-than');
    const now = ctx.now();
    const cutoff = now - unattachedMs;
    if (args.bool('dry-run')) {
      const due = await ctx.store.files.unlinked(cutoff, 100);
      const rows = table(['OBJECT ID', 'ORG', 'USER', 'SIZE', 'CREATED', 'NAME'], due.map((f) => [f.object_id, f.organization_id, f.user_id, String(f.size), time(f.created_at), f.name]));
      return { json: { dryRun: true, createdBefore: cutoff, files: due }, text: due.length === 0 ? 'no unattached file is due' : `${rows}\n${due.length === 100 ? 'at least ' : ''}${plural(due.length, 'file')} would go` };
    }
    const service = new FileService(ctx.store.files, await ctx.storage(), { maxSize: ctx.config.fileMaxSize, maxRequestSize: ctx.config.fileMaxRequestSize, allowedTypes: ['*'], unattachedMs }, pino({ level: 'silent' }));
    const progress = ctx.out.progress('deleting unattached files');
    let removed: number;
    try {
      removed = await service.cleanup(now, 500, (n) => progress.tick(n));
    } finally {
      progress.done();
    }
    return { json: { removed, createdBefore: cutoff }, text: `${plural(removed, 'unattached file')} deleted (announced before ${time(cutoff)})` };
  },
};

/** The `files` area. */
export const FILE_COMMANDS: readonly StoreCommand[] = [sweep];
