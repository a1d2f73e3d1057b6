import { eraseOrganization } from '../../domain/erasure.js';
import { createOrganization, DEFAULT_ORGANIZATION, publicOrganization } from '../../domain/organizations.js';
import { ConflictError, ORGANIZATION_SCOPE, type OrganizationRecord, type Store } from '../../store/store.js';
import { MAX_RETENTION_SECONDS } from '../../protocol/requests/retention.js';
import { UsageError, parseDuration, type ParsedArgs } from '../args.js';
import { CliError, reachableStorage, rulesAsCliError, type CommandContext, type CommandResult, type StoreCommand } from '../command.js';
import { counts, table, time } from '../format.js';
import { SERVER_FLAGS } from '../server-link.js';
import { nextAfter, pageFlags, pageOf, withMore } from '../paging.js';

/** The organization named by id, else by name; a CliError when neither matches. */
export async function findOrganization(store: Store, ref: string): Promise<OrganizationRecord> {
  const org = (await store.organizations.byId(ref)) ?? (await store.organizations.byName(ref));
  if (!org) throw new CliError(`no organization with id or name "${ref}"`);
  return org;
}

/** The positionals from `from` on joined by spaces (names may be given unquoted). */
function words(args: ParsedArgs, from: number, what: string): string {
  const text = args.positionals.slice(from).join(' ');
  if (text.trim() === '') throw new UsageError(`missing ${what}`);
  return text;
}

const create: StoreCommand = {
  kind: 'store',
  path: ['org', 'create'],
  summary: 'create an organization',
  usage: '<name>',
  details: 'Names are trimmed, 1-255 characters and unique.\nExample: npm run admin -- org create "Acme Corp"',
  flags: {},
  async run(args, ctx) {
    const org = await rulesAsCliError(() => createOrganization(ctx.store.organizations, words(args, 0, 'the organization name'), ctx.now()));
    return { json: { organization: publicOrganization(org) }, text: `created organization "${org.name}" with id ${org._id}` };
  },
};

const get: StoreCommand = {
  kind: 'store',
  path: ['org', 'get'],
  summary: 'show an organization (with --rows: what it holds, per table)',
  usage: '<id|name> [--rows]',
  flags: { rows: { type: 'boolean', help: 'count its rows in every table (reads whole tables on a large store)' } },
  async run(args, ctx) {
    const org = await findOrganization(ctx.store, args.required(0, 'the organization id or name'));
    const rows = args.bool('rows') ? await ctx.store.admin.countOrganization(org._id) : undefined;
    const text = [`organization "${org.name}"`, `  id       ${org._id}`, `  created  ${time(org.created_at)}`, `  updated  ${time(org.updated_at)}`, ...(rows ? ['rows:', counts(rows)] : [])].join('\n');
    return { json: { organization: publicOrganization(org), ...(rows ? { rows } : {}) }, text };
  },
};

const list: StoreCommand = {
  kind: 'store',
  path: ['org', 'list'],
  summary: 'list organizations with their user counts',
  usage: '[--limit <n>] [--after <id>]',
  flags: {
    ...pageFlags(100),
  },
  async run(args, ctx) {
    const page = pageOf(args, 100);
    const orgs = await ctx.store.admin.organizations(page);
    const next = nextAfter(orgs, page.limit);
    const text = withMore(table(['ID', 'NAME', 'USERS', 'CREATED'], orgs.map((o) => [o._id, o.name, String(o.users), time(o.created_at)])), next);
    return { json: { organizations: orgs.map((o) => ({ ...publicOrganization(o), users: o.users })), next }, text };
  },
};

const rename: StoreCommand = {
  kind: 'store',
  path: ['org', 'rename'],
  summary: 'rename an organization (its id stays)',
  usage: '<id|name> <new name>',
  flags: {},
  async run(args, ctx) {
    const org = await findOrganization(ctx.store, args.required(0, 'the organization id or name'));
    const name = words(args, 1, 'the new name').trim();
    if (name.length === 0 || name.length > 255) throw new CliError('the name must be 1-255 characters');
    let renamed: OrganizationRecord | undefined;
    try {
      renamed = await ctx.store.organizations.rename(org._id, name, ctx.now());
    } catch (err) {
      if (err instanceof ConflictError) throw new CliError('An organization with this name already exists.');
      throw err;
    }
    if (!renamed) throw new CliError(`organization ${org._id} no longer exists`);
    return { json: { organization: publicOrganization(renamed) }, text: `renamed organization ${org._id} from "${org.name}" to "${renamed.name}"` };
  },
};

/** Shows what would go, or deletes it with --yes. */
async function deleteOrganization(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const org = await findOrganization(ctx.store, args.required(0, 'the organization id or name'));
  const rows = await ctx.store.admin.countOrganization(org._id);
  const note = org._id === DEFAULT_ORGANIZATION._id ? ['note: the server creates an empty "default" organization again at its next start'] : [];
  if (!args.bool('yes')) {
    const text = [`organization "${org.name}" (${org._id}) holds:`, counts(rows), ...note, 'nothing deleted: run again with --yes to delete all of it'].join('\n');
    return { json: { organization: publicOrganization(org), rows, deleted: false, message: 'nothing deleted: run again with --yes' }, text, exitCode: 1 };
  }
  const storage = args.bool('keep-file-bytes') ? undefined : await reachableStorage(ctx);
  const progress = ctx.out.progress(`deleting organization ${org.name}`);
  let result;
  try {
    result = await eraseOrganization(ctx.store, storage, org._id, { batch: args.int('batch', 500), progress, now: ctx.now(), yieldToWriters: ctx.store.dialect === 'sqlite' });
  } finally {
    progress.done();
  }
  const sessions = await ctx.server(args).endSessions({ organizationId: org._id, reason: 'deleted' });
  if (!sessions.ok) ctx.out.note(`warning: ${sessions.message}`);
  const text = [
    `deleted organization "${org.name}" (${org._id}) with:`,
    counts(result.removed),
    ...(storage ? [] : ['file bytes kept (--keep-file-bytes): only the file records are gone']),
    ...note,
    `sessions: ${sessions.message}; every token of its users is gone`,
  ].join('\n');
  return { json: { organization: publicOrganization(org), deleted: true, removed: result.removed, fileBytesDeleted: storage !== undefined, sessions }, text };
}

const remove: StoreCommand = {
  kind: 'store',
  path: ['org', 'delete'],
  summary: 'delete an organization with all its data',
  usage: '<id|name> --yes [--keep-file-bytes] [--server <url>|--no-server]',
  details: [
    'Deletes every user, conversation, message (with statuses, reactions, hidden markers),',
    'file (bytes and records), push subscription, queued push, push event, token, conversation',
    'handler, key bundle and inbox, block list, address book and operations-log row of the',
    'organization, then the organization. Other organizations are not touched. Without --yes it',
    'only shows what it would delete (exit code 1). Works in small transactions (on SQLite with',
    'pauses between them), so a running server keeps serving; run it again to finish an',
    'interrupted deletion. Afterwards a running server is asked to close the sockets of the',
    'organization\'s users.',
    'Example: npm run admin -- org delete Acme --yes',
  ].join('\n'),
  flags: {
    yes: { type: 'boolean', help: 'really delete' },
    'keep-file-bytes': { type: 'boolean', help: 'leave file bytes in storage (e.g. when it is unreachable); records are deleted' },
    batch: { type: 'int', value: '<n>', help: 'rows per transaction (default 500)' },
    ...SERVER_FLAGS,
  },
  run: deleteOrganization,
};

/** A period as given on the command line: a duration (`30d`), or `off` (none). */
function retentionArgument(text: string): number | null {
  if (text === 'off') return null;
  const seconds = parseDuration(text, 'the period') / 1000;
  if (seconds < 1 || seconds > MAX_RETENTION_SECONDS) throw new UsageError(`the period must be between 1 second and ${String(MAX_RETENTION_SECONDS / 86_400)} days`);
  return seconds;
}

const retention: StoreCommand = {
  kind: 'store',
  path: ['org', 'retention'],
  summary: "show or set an organization's default message retention period",
  usage: '<id|name> [<period>|off]',
  details: [
    'Messages of conversations without a period of their own (parley_conversation_retention) are',
    'deleted this long after they were sent, with their statuses, reactions and files no other',
    'message names; clients get message_delete. A running server applies it at its next sweep',
    '(RETENTION_SWEEP_INTERVAL_MS); message_list stops listing expired messages at once.',
    'Periods: 90s, 15m, 12h, 30d, 52w or plain seconds; off removes the default.',
    'Example: npm run admin -- org retention Acme 90d',
  ].join('\n'),
  flags: {},
  async run(args, ctx) {
    const org = await findOrganization(ctx.store, args.required(0, 'the organization id or name'));
    const given = args.positionals[1];
    if (given !== undefined) await ctx.store.retention.set(org._id, ORGANIZATION_SCOPE, retentionArgument(given), ctx.now());
    const seconds = (await ctx.store.retention.periods(org._id, [])).organization;
    const text = `organization "${org.name}": ${seconds === null ? 'messages are kept (no default retention period)' : `messages are deleted ${String(seconds)} seconds after they were sent, unless their conversation has its own period`}`;
    return { json: { organization: publicOrganization(org), retention: { seconds } }, text };
  },
};

/** The `org` area. */
export const ORG_COMMANDS: readonly StoreCommand[] = [create, get, list, rename, remove, retention];
