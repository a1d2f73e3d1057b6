import { eraseUser } from '../../domain/erasure.js';
import { writeExportArchive } from '../../domain/export-archive.js';
import { DEFAULT_ORGANIZATION } from '../../domain/organizations.js';
import { createPasswordHasher } from '../../domain/passwords.js';
import { checkPassword, createAccount, generatePassword, resetAccountPassword } from '../../domain/user-accounts.js';
import { publicUser } from '../../domain/users.js';
import type { UserRecord } from '../../store/store.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';
import { CliError, reachableStorage, rulesAsCliError, type CommandContext, type StoreCommand } from '../command.js';
import { counts, table, time } from '../format.js';
import { SERVER_FLAGS } from '../server-link.js';
import { findOrganization } from './orgs.js';
import { nextAfter, pageFlags, pageOf, withMore } from '../paging.js';

const ORG_FLAG: FlagSpecs = { org: { type: 'string', value: '<id|name>', help: `the organization (default: ${DEFAULT_ORGANIZATION._id})` } };
const PASSWORD_FLAGS: FlagSpecs = {
  password: { type: 'string', value: '<password>', help: 'the password (3-40 characters; visible in the process list: prefer --password-stdin)' },
  'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
};
const OBJECT_ID = /^[0-9a-f]{24}$/;

/** The user as the CLI shows it: the public user object plus its organization. */
function shown(u: UserRecord): Record<string, unknown> {
  return { ...publicUser(u), organization_id: u.organization_id };
}

/** The organization of --org (default "default") and the user named by id, else by login. */
async function findUser(args: ParsedArgs, ctx: CommandContext): Promise<UserRecord> {
  const org = await findOrganization(ctx.store, args.string('org') ?? DEFAULT_ORGANIZATION._id);
  const ref = args.required(0, 'the user id or login');
  const user = (OBJECT_ID.test(ref) ? await ctx.store.users.byId(org._id, ref) : undefined) ?? (await ctx.store.users.byLogin(org._id, ref));
  if (!user) throw new CliError(`no user with id or login "${ref}" in organization "${org.name}" (${org._id})`);
  return user;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk).toString('utf8');
  return text;
}

/** The password the flags give, or a generated one (then `generated` is true, so it is printed). */
async function passwordFrom(args: ParsedArgs, ctx: CommandContext): Promise<{ password: string; generated: boolean }> {
  let password = args.string('password');
  if (args.bool('password-stdin')) {
    if (password !== undefined) throw new UsageError('give --password or --password-stdin, not both');
    if (!ctx.io.stdin) throw new UsageError('--password-stdin: no stdin');
    password = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
  }
  if (password === undefined) return { password: generatePassword(), generated: true };
  await rulesAsCliError(() => Promise.resolve(checkPassword(password)));
  return { password, generated: false };
}

function hasher(ctx: CommandContext): ReturnType<typeof createPasswordHasher> {
  return createPasswordHasher({ memoryKib: ctx.config.passwordHashMemoryKib, passes: ctx.config.passwordHashPasses });
}

const create: StoreCommand = {
  kind: 'store',
  path: ['user', 'create'],
  summary: 'create a user with a password',
  usage: '<login> [--org <id|name>] [--password <p>|--password-stdin] [--email <e>] [--phone <p>] [--first-name <n>] [--last-name <n>]',
  details: 'Without a password option a random one is generated and printed once.\nExample: npm run admin -- user create alice --org Acme --email alice@acme.example',
  flags: {
    ...ORG_FLAG,
    ...PASSWORD_FLAGS,
    email: { type: 'string', value: '<address>', help: 'e-mail address (unique in the organization)' },
    phone: { type: 'string', value: '<number>', help: 'phone number, 3-15 characters (unique in the organization)' },
    'first-name': { type: 'string', value: '<name>', help: 'first name' },
    'last-name': { type: 'string', value: '<name>', help: 'last name' },
  },
  async run(args, ctx) {
    const org = await findOrganization(ctx.store, args.string('org') ?? DEFAULT_ORGANIZATION._id);
    const login = args.required(0, 'the login');
    const { password, generated } = await passwordFrom(args, ctx);
    const fields = { login, password, email: args.string('email'), phone: args.string('phone'), firstName: args.string('first-name'), lastName: args.string('last-name') };
    const user = await rulesAsCliError(() => createAccount(ctx.store, hasher(ctx), org._id, fields, ctx.now()));
    const text = [`created user ${user.login} (${user._id}) in organization "${org.name}"`, ...(generated ? [`password: ${password}`] : [])].join('\n');
    return { json: { user: shown(user), ...(generated ? { password } : {}) }, text };
  },
};

function userRows(users: readonly UserRecord[]): string {
  return table(['ID', 'LOGIN', 'EMAIL', 'PHONE', 'NAME', 'CREATED'], users.map((u) => [u._id, u.login, u.email ?? '', u.phone ?? '', [u.first_name, u.last_name].filter(Boolean).join(' '), time(u.created_at)]));
}

const list: StoreCommand = {
  kind: 'store',
  path: ['user', 'list'],
  summary: 'list the users of an organization, a page at a time',
  usage: '[--org <id|name>] [--limit <n>] [--after <id>]',
  flags: {
    ...ORG_FLAG,
    ...pageFlags(50, 'user id'),
  },
  async run(args, ctx) {
    const org = await findOrganization(ctx.store, args.string('org') ?? DEFAULT_ORGANIZATION._id);
    const page = pageOf(args, 50);
    const users = await ctx.store.admin.users(org._id, page);
    const next = nextAfter(users, page.limit);
    return { json: { organization_id: org._id, users: users.map(shown), next }, text: withMore(userRows(users), next) };
  },
};

const search: StoreCommand = {
  kind: 'store',
  path: ['user', 'search'],
  summary: 'find users whose login, e-mail or phone contains a text',
  usage: '<text> [--org <id|name>] [--limit <n>]',
  details: 'Case-insensitive; searches every organization unless --org is given.\nExample: npm run admin -- user search @acme.example',
  flags: {
    org: { type: 'string', value: '<id|name>', help: 'only this organization (default: all)' },
    limit: { type: 'int', value: '<n>', help: 'at most this many (default 50)' },
  },
  async run(args, ctx) {
    const text = args.required(0, 'the text to search for');
    const ref = args.string('org');
    const orgId = ref === undefined ? undefined : (await findOrganization(ctx.store, ref))._id;
    const users = await ctx.store.admin.findUsers({ text, limit: Math.max(1, args.int('limit', 50)), ...(orgId === undefined ? {} : { orgId }) });
    const rows = table(['ORG', 'ID', 'LOGIN', 'EMAIL', 'PHONE'], users.map((u) => [u.organization_id, u._id, u.login, u.email ?? '', u.phone ?? '']));
    return { json: { users: users.map(shown) }, text: users.length === 0 ? 'no user matches' : rows };
  },
};

const get: StoreCommand = {
  kind: 'store',
  path: ['user', 'get'],
  summary: 'show a user (with --rows: their data, per table)',
  usage: '<id|login> [--org <id|name>] [--rows]',
  flags: { ...ORG_FLAG, rows: { type: 'boolean', help: 'count their rows in every table (reads whole tables on a large store)' } },
  async run(args, ctx) {
    const user = await findUser(args, ctx);
    const rows = args.bool('rows') ? await ctx.store.admin.countUser(user.organization_id, user._id) : undefined;
    const text = [
      `user ${user.login}`,
      `  id            ${user._id}`,
      `  organization  ${user.organization_id}`,
      `  email         ${user.email ?? '-'}`,
      `  phone         ${user.phone ?? '-'}`,
      `  name          ${[user.first_name, user.last_name].filter(Boolean).join(' ') || '-'}`,
      `  created       ${time(user.created_at)}`,
      `  last active   ${user.recent_activity > 0 ? time(user.recent_activity * 1000) : '-'}`,
      ...(rows ? ['rows:', counts(rows)] : []),
    ].join('\n');
    return { json: { user: shown(user), ...(rows ? { rows } : {}) }, text };
  },
};

const TOKENS_GONE = 'every token of the user is revoked: logging in again is needed, and a token refresh or a reconnect with an old token fails';

const resetPassword: StoreCommand = {
  kind: 'store',
  path: ['user', 'reset-password'],
  summary: 'set a new password (given or generated) and end every session',
  usage: '<id|login> [--org <id|name>] [--password <p>|--password-stdin] [--server <url>|--no-server]',
  details: 'Revokes all of the user\'s tokens and asks a running server to close their sockets (code 4002).\nExample: npm run admin -- user reset-password alice --org Acme',
  flags: { ...ORG_FLAG, ...PASSWORD_FLAGS, ...SERVER_FLAGS },
  async run(args, ctx) {
    const user = await findUser(args, ctx);
    const { password, generated } = await passwordFrom(args, ctx);
    await resetAccountPassword(ctx.store, hasher(ctx), user, password, ctx.now());
    const sessions = await ctx.server(args).endSessions({ organizationId: user.organization_id, userId: user._id, reason: 'password' });
    if (!sessions.ok) ctx.out.note(`warning: ${sessions.message}`);
    const text = [`new password set for ${user.login} (${user._id})`, ...(generated ? [`password: ${password}`] : []), TOKENS_GONE, `sessions: ${sessions.message}`].join('\n');
    return { json: { user: shown(user), ...(generated ? { password } : {}), tokensRevoked: true, sessions }, text };
  },
};

const revokeSessions: StoreCommand = {
  kind: 'store',
  path: ['user', 'revoke-sessions'],
  summary: 'revoke every token of a user and close their live sockets',
  usage: '<id|login> [--org <id|name>] [--server <url>|--no-server]',
  details: [
    'Tokens are revoked in the store, so the next token refresh or reconnect fails at once. Sockets',
    'that are already open are held by the server, so a running server is asked to close them',
    '(admin API, needs HTTP_ADMIN_API_KEY; code 4002); without one they stay open until they disconnect.',
  ].join('\n'),
  flags: { ...ORG_FLAG, ...SERVER_FLAGS },
  async run(args, ctx) {
    const user = await findUser(args, ctx);
    await ctx.store.tokens.deleteUser(user._id);
    const sessions = await ctx.server(args).endSessions({ organizationId: user.organization_id, userId: user._id, reason: 'revoked' });
    if (!sessions.ok) ctx.out.note(`warning: ${sessions.message}`);
    return { json: { user: shown(user), tokensRevoked: true, sessions }, text: [`sessions of ${user.login} (${user._id}) revoked`, TOKENS_GONE, `sessions: ${sessions.message}`].join('\n') };
  },
};

const remove: StoreCommand = {
  kind: 'store',
  path: ['user', 'delete'],
  summary: 'delete a user with their data',
  usage: '<id|login> [--org <id|name>] --yes [--keep-messages] [--keep-file-bytes] [--server <url>|--no-server]',
  details: [
    'Deletes the account, tokens, block-list rows either side, address book, push subscriptions,',
    'queued pushes, push events sent, key bundles and operations log; and, unless --keep-messages,',
    'the messages the user sent, the files they uploaded, their read statuses, reactions and',
    'memberships (a conversation they were the last one in is deleted; a group they owned passes to',
    'its oldest member). --keep-messages keeps those, as SAMA\'s user_delete does. Without --yes it',
    'only shows what it would delete (exit code 1). A running server is asked to close their sockets.',
  ].join('\n'),
  flags: {
    ...ORG_FLAG,
    yes: { type: 'boolean', help: 'really delete' },
    'keep-messages': { type: 'boolean', help: 'keep their messages, files, statuses, reactions and memberships (like the user_delete packet)' },
    'keep-file-bytes': { type: 'boolean', help: 'leave the bytes of their files in storage; records are deleted' },
    batch: { type: 'int', value: '<n>', help: 'rows per transaction (default 500)' },
    ...SERVER_FLAGS,
  },
  async run(args, ctx) {
    const user = await findUser(args, ctx);
    const keepMessages = args.bool('keep-messages');
    if (!args.bool('yes')) {
      const rows = await ctx.store.admin.countUser(user.organization_id, user._id);
      const text = [`user ${user.login} (${user._id}) has:`, counts(rows), keepMessages ? 'with --keep-messages, messages, files, statuses, reactions and memberships stay' : '', 'nothing deleted: run again with --yes to delete'].filter(Boolean).join('\n');
      return { json: { user: shown(user), rows, deleted: false, message: 'nothing deleted: run again with --yes' }, text, exitCode: 1 };
    }
    const storage = keepMessages || args.bool('keep-file-bytes') ? undefined : await reachableStorage(ctx);
    const progress = ctx.out.progress(`deleting user ${user.login}`);
    let result;
    try {
      result = await eraseUser(ctx.store, storage, user.organization_id, user._id, { keepMessages, batch: args.int('batch', 500), progress, now: ctx.now(), yieldToWriters: ctx.store.dialect === 'sqlite' });
    } finally {
      progress.done();
    }
    const sessions = await ctx.server(args).endSessions({ organizationId: user.organization_id, userId: user._id, reason: 'deleted' });
    if (!sessions.ok) ctx.out.note(`warning: ${sessions.message}`);
    const text = [
      `deleted user ${user.login} (${user._id}) with:`,
      counts(result.removed),
      ...(keepMessages ? ['kept (--keep-messages): messages, files, statuses, reactions and memberships'] : []),
      ...(result.conversationsDeleted > 0 ? [`conversations deleted (the user was the last one in them): ${String(result.conversationsDeleted)}`] : []),
      ...(result.ownershipsHandedOver > 0 ? [`groups handed to their oldest member: ${String(result.ownershipsHandedOver)}`] : []),
      `sessions: ${sessions.message}`,
    ].join('\n');
    return { json: { user: shown(user), deleted: true, keepMessages, ...result, sessions }, text };
  },
};

const exportData: StoreCommand = {
  kind: 'store',
  path: ['user', 'export'],
  summary: "write a user's personal data export (.tar.gz), as parley_data_export builds it",
  usage: '<id|login> [--org <id|name>] --out <file.tar.gz>',
  details: [
    'The archive holds the profile, address book, block list, push devices, conversations (with',
    'participant ids), every message the user sent and the bytes of every file they uploaded;',
    'README.txt inside lists it. Nothing is changed and the user is not told.',
    'Example: npm run admin -- user export alice --org Acme --out alice.tar.gz',
  ].join('\n'),
  flags: { ...ORG_FLAG, out: { type: 'string', value: '<file>', help: 'where to write the archive (an existing file is replaced)' } },
  async run(args, ctx) {
    const user = await findUser(args, ctx);
    const out = args.string('out');
    if (out === undefined || out === '') throw new UsageError('missing --out <file.tar.gz>');
    const summary = await writeExportArchive(ctx.store, await ctx.storage(), user.organization_id, user._id, out, ctx.now());
    if (!summary) throw new CliError(`user ${user._id} no longer exists`);
    const text = `wrote ${out} (${String(summary.size)} bytes): ${String(summary.conversations)} conversations, ${String(summary.messages)} messages, ${String(summary.files)} files${summary.filesMissing > 0 ? ` (${String(summary.filesMissing)} listed without bytes: not in storage)` : ''}`;
    return { json: { user: publicUser(user), file: out, ...summary }, text };
  },
};

/** The `user` area. */
export const USER_COMMANDS: readonly StoreCommand[] = [create, list, search, get, resetPassword, revokeSessions, remove, exportData];
