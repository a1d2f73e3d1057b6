import { stepRunner } from '../../domain/erasure.js';
import type { PushOutboxEntry, PushOutboxState } from '../../store/store.js';
import { UsageError, parseDuration, type FlagSpecs, type ParsedArgs } from '../args.js';
import type { CommandContext, StoreCommand } from '../command.js';
import { age, plural, table, time } from '../format.js';
import { findOrganization } from './orgs.js';
import { nextAfter, pageFlags, pageOf, withMore } from '../paging.js';

const ORG_FLAG: FlagSpecs = { org: { type: 'string', value: '<id|name>', help: 'only this organization (default: all)' } };
const STATES: readonly PushOutboxState[] = ['new', 'due', 'waiting'];
const STATE_HELP = 'new (never tried), due (tried, due again), waiting (tried; next try or a try in progress later)';

async function orgOf(args: ParsedArgs, ctx: CommandContext): Promise<string | undefined> {
  const ref = args.string('org');
  return ref === undefined ? undefined : (await findOrganization(ctx.store, ref))._id;
}

/** The title of a push payload, for listings; the payload itself when it has none. */
function title(payload: string): string {
  let text = payload;
  try {
    const p = JSON.parse(payload) as { title?: unknown; body?: unknown };
    text = [p.title, p.body].filter((v) => typeof v === 'string' && v !== '').join(': ') || payload;
  } catch {
    // Not JSON: shown as stored.
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const inspect: StoreCommand = {
  kind: 'store',
  path: ['push', 'inspect'],
  summary: 'count the push outbox by state, with its oldest rows',
  usage: '[--org <id|name>]',
  details: [
    `States: ${STATE_HELP}.`,
    'Sent pushes, and pushes given up after PUSH_MAX_ATTEMPTS tries, leave the outbox (the server',
    'logs the latter), so everything here is still to be sent.',
  ].join('\n'),
  flags: { ...ORG_FLAG },
  async run(args, ctx) {
    const orgId = await orgOf(args, ctx);
    const now = ctx.now();
    const stats = await ctx.store.pushOutbox.stats(now, orgId);
    const oldest = await ctx.store.pushOutbox.list({ limit: 5, ...(orgId === undefined ? {} : { orgId }) }, now);
    const lines = [
      `push outbox${orgId === undefined ? '' : ` of organization ${orgId}`}: ${plural(stats.total, 'push')}`,
      ...STATES.map((s) => `  ${s.padEnd(8)} ${String(stats.byState[s])}`),
      `oldest:            ${stats.oldestCreatedAt === null ? '-' : `${time(stats.oldestCreatedAt)} (${age(stats.oldestCreatedAt, now)} ago)`}`,
      `oldest due:        ${stats.oldestDueCreatedAt === null ? '-' : `${time(stats.oldestDueCreatedAt)} (${age(stats.oldestDueCreatedAt, now)} ago)`}`,
      `most tries so far: ${String(stats.maxAttempts)} (PUSH_MAX_ATTEMPTS ${String(ctx.config.pushMaxAttempts)})`,
      ...(oldest.length > 0 ? ['', entries(oldest, now)] : []),
    ];
    return { json: { now, ...stats, oldest }, text: lines.join('\n') };
  },
};

function entries(rows: readonly PushOutboxEntry[], now: number): string {
  return table(
    ['ID', 'STATE', 'TRIES', 'NEXT TRY', 'CREATED', 'USER', 'PAYLOAD'],
    rows.map((e) => [e._id, e.state, String(e.attempts), e.next_attempt_at <= now ? 'now' : `in ${age(now, e.next_attempt_at)}`, time(e.created_at), e.user_id, title(e.payload)]),
  );
}

const list: StoreCommand = {
  kind: 'store',
  path: ['push', 'list'],
  summary: 'list push outbox rows, oldest first',
  usage: '[--org <id|name>] [--user <id>] [--state new|due|waiting] [--limit <n>] [--after <id>]',
  flags: {
    ...ORG_FLAG,
    user: { type: 'string', value: '<id>', help: 'only pushes to this user' },
    state: { type: 'string', value: '<state>', help: STATE_HELP },
    ...pageFlags(50, 'row id'),
  },
  async run(args, ctx) {
    const orgId = await orgOf(args, ctx);
    const state = args.string('state');
    if (state !== undefined && !STATES.includes(state as PushOutboxState)) throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
    const page = pageOf(args, 50);
    const userId = args.string('user');
    const now = ctx.now();
    const rows = await ctx.store.pushOutbox.list({ ...page, ...(orgId === undefined ? {} : { orgId }), ...(userId === undefined ? {} : { userId }), ...(state === undefined ? {} : { state: state as PushOutboxState }) }, now);
    const next = nextAfter(rows, page.limit);
    return { json: { pushes: rows, next }, text: rows.length === 0 ? 'no pushes' : withMore(entries(rows, now), next) };
  },
};

const retry: StoreCommand = {
  kind: 'store',
  path: ['push', 'retry'],
  summary: 'make pushes waiting for a retry due now (after fixing push credentials)',
  usage: '[<push id>...] [--org <id|name>] [--reset-attempts]',
  details: [
    'Rows that failed a try and wait for the next one are made due now; the running push worker',
    'sends them at its next round. A row in the middle of a try looks the same, so it may be sent',
    'once more. --reset-attempts also gives them all PUSH_MAX_ATTEMPTS tries again.',
  ].join('\n'),
  flags: { ...ORG_FLAG, 'reset-attempts': { type: 'boolean', help: 'count their tries from zero again' } },
  async run(args, ctx) {
    const orgId = await orgOf(args, ctx);
    const ids = args.positionals.length > 0 ? args.positionals : undefined;
    const n = await ctx.store.pushOutbox.retryNow(ctx.now(), { ...(orgId === undefined ? {} : { orgId }), ...(ids === undefined ? {} : { ids }), resetAttempts: args.bool('reset-attempts') });
    return { json: { retried: n }, text: `${plural(n, 'push')} made due now${args.bool('reset-attempts') ? ', with their tries counted from zero' : ''}` };
  },
};

const purge: StoreCommand = {
  kind: 'store',
  path: ['push', 'purge'],
  summary: 'delete pushes that are no longer worth sending',
  usage: '--older-than <age> | --all --yes  [--org <id|name>]',
  details: [
    'Deletes outbox rows created before the given age (90s, 15m, 2h, 7d, 1w), or all of them with',
    '--all --yes; their pushes are never sent. Example: npm run admin -- push purge --older-than 2d',
  ].join('\n'),
  flags: {
    ...ORG_FLAG,
    'older-than': { type: 'string', value: '<age>', help: 'only rows created longer ago than this' },
    all: { type: 'boolean', help: 'every row (needs --yes)' },
    yes: { type: 'boolean', help: 'confirm --all' },
    batch: { type: 'int', value: '<n>', help: 'rows per transaction (default 1000)' },
  },
  async run(args, ctx) {
    const olderThan = args.string('older-than');
    if ((olderThan === undefined) === !args.bool('all')) throw new UsageError('give either --older-than <age> or --all');
    const orgId = await orgOf(args, ctx);
    const now = ctx.now();
    const stats = await ctx.store.pushOutbox.stats(now, orgId);
    if (olderThan === undefined && !args.bool('yes')) {
      return { json: { purged: 0, total: stats.total, message: 'nothing deleted: --all needs --yes' }, text: `the outbox holds ${plural(stats.total, 'push')}; nothing deleted: --all needs --yes`, exitCode: 1 };
    }
    const createdBefore = olderThan === undefined ? undefined : now - parseDuration(olderThan, '--older-than');
    const progress = ctx.out.progress('purging pushes', stats.total);
    const batch = Math.max(1, args.int('batch', 1000));
    // On SQLite, pauses between batches let a running server's writes through (see stepRunner).
    const step = stepRunner({ yieldToWriters: ctx.store.dialect === 'sqlite' });
    let purged = 0;
    try {
      for (;;) {
        const n = await step(() => ctx.store.pushOutbox.purge({ ...(createdBefore === undefined ? {} : { createdBefore }), ...(orgId === undefined ? {} : { orgId }) }, batch));
        if (n === 0) break;
        purged += n;
        progress.tick(n);
      }
    } finally {
      progress.done();
    }
    return { json: { purged, ...(createdBefore === undefined ? {} : { createdBefore }) }, text: `${plural(purged, 'push')} deleted${createdBefore === undefined ? '' : ` (created before ${time(createdBefore)})`}` };
  },
};

/** The `push` area. */
export const PUSH_COMMANDS: readonly StoreCommand[] = [inspect, list, retry, purge];
