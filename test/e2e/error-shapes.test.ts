import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestClient } from '../helpers/client.js';
import { TestServer, type TestUser } from '../helpers/server.js';

/**
 * Every bad input protocol.md documents (§3 per packet, §1.5, §12), sent over a real WebSocket,
 * with the exact `error` SAMA answers: a catalogued `{status, message}` or the validator's bare
 * string. One table per packet; a failure shows the whole table's difference at once.
 */

type WireError = { status: number; message: string } | string;
type Row = readonly [body: unknown, expected: WireError];

const e = (status: number, message: string): WireError => ({ status, message });
const UNKNOWN = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const ids = (n: number, prefix = 'b'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(23, '0')}`);

describe('error shapes per packet', () => {
  let server: TestServer;
  let org: string;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;
  let anon: TestClient;
  let ca: TestClient;
  let cb: TestClient;
  let cc: TestClient;
  let cid: string;
  let channel: string;
  let mid: string;

  before(async () => {
    server = await TestServer.start();
    org = await server.createOrg();
    [a, b, c] = await Promise.all([0, 1, 2].map(() => server.createUser(org))) as [TestUser, TestUser, TestUser];
    anon = await server.client();
    [ca, cb, cc] = await Promise.all([server.loggedIn(a), server.loggedIn(b), server.loggedIn(c)]);
    cid = (await ca.request('conversation_create', { type: 'g', name: 'g', participants: [b._id] })).conversation._id as string;
    channel = (await ca.request('conversation_create', { type: 'c', name: 'ch' })).conversation._id as string;
    mid = (await ca.request('message', { id: 'seed', cid, body: 'hi' })).ask.server_mid as string;
  });
  after(async () => {
    await Promise.all([anon, ca, cb, cc].map((x) => x.close()));
    await server.stop();
  });

  /** Sends every row's body as `packet` from `client` and compares all replies' `error` at once. */
  async function table(client: () => TestClient, packet: string, rows: () => readonly Row[]): Promise<void> {
    const list = rows();
    const actual: unknown[] = [];
    for (const [body] of list) actual.push({ body, error: (await client().request(packet, body)).error });
    assert.deepEqual(actual, list.map(([body, error]) => ({ body, error })));
  }

  const cases: readonly [packet: string, client: () => TestClient, rows: () => readonly Row[]][] = [
    // §3.1 users and accounts
    ['user_create', () => anon, () => {
      const ok = { organization_id: org, password: 'secret', email: 'x@example.com' };
      return [
        [{ ...ok }, e(422, 'The login provided is incorrect.')],
        [{ ...ok, login: 'ab' }, e(422, 'The login provided is incorrect.')],
        [{ ...ok, login: 5 }, e(422, 'The login provided is incorrect.')],
        [{ ...ok, login: 'abc', password: 'ab' }, e(422, 'The password entered is incorrect.')],
        [{ organization_id: org, login: 'abc', password: 'secret' }, '"email" is required'],
        [{ ...ok, login: 'abc', first_name: 'A' }, '"first_name" is not allowed'],
        // fields are checked before undeclared keys
        [{ ...ok, first_name: 'A', login: 'ab' }, e(422, 'The login provided is incorrect.')],
        [{ ...ok, login: 'abc', phone: 'ab' }, '"phone" length must be at least 3 characters long'],
        [{ ...ok, login: 'abcd', organization_id: 'nope' }, e(404, 'Organization not found')],
        [{ ...ok, login: a.login }, e(422, 'The provided data is already associated with an existing user account.')],
      ];
    }],
    ['user_login', () => anon, () => [
      [{ organization_id: org, login: a.login, password: a.password }, e(422, "'device_id' is required.")],
      [{ organization_id: org, login: 5, password: 'x', device_id: 'd' }, e(422, "The 'login' or 'password' field is missing.")],
      [{ organization_id: org, login: a.login, password: 'wrong-one', device_id: 'd' }, e(401, 'Incorrect username or password.')],
      [{ organization_id: org, token: 'not-a-token', device_id: 'd' }, e(422, 'The token has expired.')],
    ]],
    ['connect', () => anon, () => [
      [{ token: 'not-a-token' }, e(422, "'device_id' is required.")],
      [{ token: 'not-a-token', device_id: 'd' }, e(422, 'The token has expired.')],
    ]],
    ['user_edit', () => ca, () => [
      [{ new_password: 'newpass' }, e(401, 'The current password you entered is incorrect.')],
      [{ new_password: 'newpass', current_password: 'wrong' }, e(401, 'The current password you entered is incorrect.')],
      [{ new_password: 'newpass', current_password: 5 }, e(401, 'The current password you entered is incorrect.')],
      [{ first_name: 7 }, '"first_name" must be a string'],
      [{ first_name: '' }, '"first_name" is not allowed to be empty'],
      [{ login: 'ab' }, '"login" length must be at least 3 characters long'],
      [{ login: b.login }, e(422, 'The provided data is already associated with an existing user account.')],
    ]],
    ['user_search', () => ca, () => [[{}, '"keyword" is required']]],
    ['get_users_by_ids', () => ca, () => [
      [{ ids: [] }, '"ids" must contain at least 1 items'],
      [{ ids: ids(101) }, '"ids" must contain less than or equal to 100 items'],
      [{ ids: [5] }, '"ids[0]" must be a string'],
    ]],
    ['user_send_otp', () => anon, () => [
      [{ organization_id: org, email: 'x@example.com' }, e(422, "'device_id' is required.")],
      [{ organization_id: org, email: 5, device_id: 'd' }, '"email" must be a string'],
      [{ organization_id: org, email: 'x@example.com', device_id: 'd' }, e(401, 'Failed to create OTP sender transporter.')],
    ]],
    ['user_reset_password', () => anon, () => [
      [{ organization_id: org, email: 'nobody@example.com', token: '123456', new_password: 'newpass' }, e(422, "'device_id' is required.")],
      [{ organization_id: org, email: 'nobody@example.com', device_id: 'd', token: '123456', new_password: 'ab' }, e(422, 'The password entered is incorrect.')],
      [{ organization_id: org, email: 'nobody@example.com', device_id: 'd', token: '123456', new_password: 'newpass' }, e(422, "We couldn't find the specified user.")],
    ]],
    // §3.2 address book
    ['contact_add', () => ca, () => [
      [{}, e(422, 'Email or phone is missed.')],
      [{ first_name: 'No' }, e(422, 'Email or phone is missed.')],
      [{ company: 'Co', email: [] }, e(422, "'first_name' or 'last_name' is missed.")],
      [{ first_name: 'Bad', email: 'x' }, '"email" must be an array'],
      [{ first_name: 'A', phone: [{ type: 'm', value: '1' }] }, '"first_name" length must be at least 2 characters long'],
    ]],
    ['contact_update', () => ca, () => [
      [{ first_name: 'x1' }, e(422, 'Contact id is missed.')],
      [{ id: 5 }, e(422, 'Contact id is missed.')],
      [{ id: UNKNOWN, first_name: 'Ok' }, e(422, 'Contact not found.')],
    ]],
    ['contact_delete', () => ca, () => [[{}, e(422, 'Contact id is missed.')]]],
    ['contact_list', () => ca, () => [[{ updated_at: 'not a date' }, '"updated_at" must be a valid date']]],
    // §3.3 block list
    ['block_user', () => ca, () => [
      [{}, e(400, 'Bad request - invalid data format')],
      [{ ids: 'x' }, e(400, 'Bad request - invalid data format')],
      [{ ids: [b._id], bogus: 1 }, e(400, 'Bad request - invalid data format')],
      [{ ids: [a._id] }, "Can't block self user"],
    ]],
    ['unblock_user', () => ca, () => [[{ ids: 5 }, e(400, 'Bad request - invalid data format')]]],
    ['block_list_enable', () => ca, () => [[{ enable: 'yes' }, '"enable" must be a boolean']]],
    // §3.4 conversations
    ['conversation_create', () => ca, () => [
      [{ name: 'x', participants: [b._id] }, e(422, 'Conversation type missed.')],
      [{ type: 'z', name: 'x', participants: [b._id] }, e(422, 'The type you entered is incorrect.')],
      [{ type: 5, name: 'x', participants: [b._id] }, e(422, 'The type you entered is incorrect.')],
      [{ type: 'g', participants: [b._id] }, e(422, "You haven't specified a conversation name.")],
      [{ type: 'g', name: 5, participants: [b._id] }, e(422, "You haven't specified a conversation name.")],
      [{ type: 'c', name: 'x'.repeat(256) }, e(422, "You haven't specified a conversation name.")],
      [{ type: 'u', name: 5, participants: [b._id] }, '"name" must be a string'],
      // name comes before participants and before undeclared keys
      [{ type: 'g', participants: 'x' }, e(422, "You haven't specified a conversation name.")],
      [{ type: 'g', participants: [b._id], bogus: 1 }, e(422, "You haven't specified a conversation name.")],
      [{ type: 'g', name: 'n' }, e(422, 'Please select at least one user.')],
      [{ type: 'g', name: 'n', participants: b._id }, e(422, 'Please select at least one user.')],
      [{ type: 'g', name: 'n', participants: [] }, e(422, 'Please select at least one user.')],
      [{ type: 'g', name: 'n', participants: [5] }, e(422, 'Please select at least one user.')],
      [{ type: 'u' }, e(422, 'Please select at least one user.')],
      [{ type: 'g', name: 'n', participants: ids(51) }, e(422, 'There are too many users in the group conversation.')],
      [{ type: 'g', name: 'n', participants: [a._id] }, e(422, 'Participants not provided.')],
      [{ type: 'u', participants: [a._id] }, e(422, 'The specified user is incorrect.')],
      [{ type: 'u', participants: [b._id, c._id] }, e(422, 'There are too many users in the private conversation.')],
      [{ type: 'g', name: 'n', participants: [b._id], bogus: 1 }, '"bogus" is not allowed'],
      [{ type: 'g', name: 'n', participants: [b._id], description: 5 }, '"description" must be a string'],
    ]],
    ['conversation_update', () => ca, () => [
      [{ name: 'x' }, '"id" is required'],
      [{ id: UNKNOWN, name: 'x' }, e(400, 'Bad Request.')],
      [{ id: cid, name: 5 }, '"name" must be a string'],
      [{ id: cid, participants: { add: 'x' } }, '"participants.add" must be an array'],
      [{ id: cid, participants: { foo: [] } }, '"participants.foo" is not allowed'],
      [{ id: cid, admins: [] }, '"admins" must be of type object'],
    ]],
    ['conversation_update', () => cb, () => [[{ id: cid, name: 'mine' }, e(403, 'Forbidden.')]]],
    ['conversation_delete', () => cc, () => [
      [{}, '"id" is required'],
      [{ id: UNKNOWN }, e(400, 'Bad Request.')],
      [{ id: cid }, e(404, 'ConversationParticipant not found.')],
    ]],
    ['conversation_list', () => ca, () => [
      [{ ids: ids(11) }, '"ids" must contain less than or equal to 10 items'],
      [{ updated_at: { gt: 'nope' } }, '"updated_at.gt" must be a valid date'],
    ]],
    ['conversation_search', () => ca, () => [[{}, '"name" is required']]],
    ['get_participants_by_cids', () => ca, () => [
      [{}, e(422, "'cids' field is required.")],
      [{ cids: 'x' }, e(422, "'cids' field is required.")],
      // Parley's own cap has no SAMA error: the validator's text
      [{ cids: ids(101) }, '"cids" must contain less than or equal to 100 items'],
    ]],
    ['get_admins_by_cids', () => ca, () => [[{}, e(422, "'cids' field is required.")]]],
    ['conversation_subscribe', () => cc, () => [
      [{}, e(400, 'Bad Request.')],
      [{ cid }, e(400, 'Bad Request.')],
      [{ cid: UNKNOWN }, e(400, 'Bad Request.')],
    ]],
    ['conversation_unsubscribe', () => cc, () => [[{}, e(400, 'Bad Request.')]]],
    // §3.6 messages (wrapped in `request`: errors come back in the response envelope, §1.4)
    ['message', () => ca, () => [
      [{ id: 5, cid, body: 'x' }, e(422, 'Incorrect message ID.')],
      [{ id: 'm', body: 'x' }, e(422, "'cid' field is required.")],
      [{ id: 'm', cid }, '"value" must contain at least one of [body, attachments]'],
      [{ id: 'm', cid, body: 5 }, e(422, 'Either message body or attachments required.')],
      [{ id: 'm', cid, attachments: [] }, e(422, 'Either message body or attachments required.')],
      [{ id: 'm', cid, attachments: [{ file_width: 'x' }] }, e(422, 'Either message body or attachments required.')],
      [{ id: 'm', cid, body: 'x', x: 'str' }, '"x" must be of type object'],
      [{ id: 'm', cid, body: 'x', bogus: 1 }, '"bogus" is not allowed'],
      [{ id: 'm', cid: UNKNOWN, body: 'x' }, e(404, 'Conversation not found.')],
      [{ id: 'm', cid, body: 'x', replied_message_id: UNKNOWN }, e(422, 'Incorrect replied message ID.')],
    ]],
    ['message', () => cc, () => [[{ id: 'm', cid, body: 'x' }, e(403, 'Forbidden.')]]],
    ['message_edit', () => ca, () => [
      [{ body: 'x' }, e(422, 'Incorrect message ID.')],
      [{ id: mid }, e(422, 'Either message body or attachments required.')],
      [{ id: mid, body: 5 }, e(422, 'Either message body or attachments required.')],
      [{ id: UNKNOWN, body: 'x' }, e(422, 'Message ID not found.')],
    ]],
    ['message_edit', () => cb, () => [[{ id: mid, body: 'x' }, e(403, 'Forbidden.')]]],
    ['message_delete', () => ca, () => [
      [{ ids: [mid], type: 'all' }, e(422, "'cid' field is required.")],
      [{ cid, type: 'all' }, e(422, 'Message ID missed.')],
      [{ cid, ids: [], type: 'all' }, e(422, 'Message ID missed.')],
      [{ cid, ids: [mid] }, e(422, 'Message type missed.')],
      [{ cid, ids: [mid], type: 'both' }, e(422, 'The type you entered is incorrect.')],
      [{ cid, ids: [mid], type: 5 }, e(422, 'The type you entered is incorrect.')],
      [{ cid: UNKNOWN, ids: [mid], type: 'all' }, e(404, 'Conversation not found.')],
    ]],
    ['message_delete', () => cc, () => [[{ cid, ids: [mid], type: 'all' }, e(403, 'Forbidden.')]]],
    ['message_read', () => ca, () => [
      [{}, e(422, "'cid' field is required.")],
      [{ cid: UNKNOWN }, e(404, 'Conversation not found.')],
      [{ cid: channel }, e(403, 'Forbidden.')],
      [{ cid, ids: 'x' }, '"ids" must be an array'],
    ]],
    ['message_read', () => cc, () => [[{ cid }, e(403, 'Forbidden.')]]],
    ['message_list', () => ca, () => [
      [{}, e(422, "'cid' field is required.")],
      [{ cid: 5 }, e(422, "'cid' field is required.")],
      [{ cid: UNKNOWN }, e(404, 'Conversation not found.')],
      [{ cid, ids: ids(101) }, '"ids" must contain less than or equal to 100 items'],
      [{ cid, updated_at: { gt: 'nope' } }, '"updated_at.gt" must be a valid date'],
    ]],
    ['message_list', () => cc, () => [[{ cid }, e(403, 'Forbidden.')]]],
    ['message_reactions_update', () => ca, () => [
      [{ add: 'x' }, e(422, 'Incorrect message ID.')],
      [{ mid: 5, add: 'x' }, e(422, 'Incorrect message ID.')],
      [{ mid }, '"value" must contain at least one of [add, remove]'],
      [{ mid, add: 'x'.repeat(11) }, '"add" length must be less than or equal to 10 characters long'],
      [{ mid: UNKNOWN, add: 'x' }, e(422, 'Message ID not found.')],
    ]],
    ['message_reactions_list', () => ca, () => [
      [{}, e(422, 'Incorrect message ID.')],
      [{ mid: UNKNOWN }, e(422, 'Message ID not found.')],
    ]],
    ['message_decryption_failed', () => ca, () => [
      [{ ids: [mid] }, e(422, "'cid' field is required.")],
      [{ cid }, '"ids" is required'],
      [{ cid, ids: [] }, '"ids" must contain at least 1 items'],
    ]],
    ['system_message', () => ca, () => [
      [{ cid, x: {} }, e(422, 'Incorrect message ID.')],
      [{ id: '', cid, x: {} }, e(422, 'Incorrect message ID.')],
      [{ id: 's', x: {} }, e(422, "'cid' or 'uids' field is required.")],
      [{ id: 's', cid, uids: [b._id], x: {} }, e(422, "'cid' or 'uids' field is required.")],
      [{ id: 's', cid }, e(422, "'x' field is required.")],
      [{ id: 's', cid, x: 'str' }, e(422, "'x' field is required.")],
      [{ id: 's', uids: ids(21), x: {} }, e(422, "'uids' max length 20")],
      [{ id: 's', uids: 'x', x: {} }, '"uids" must be an array'],
      [{ id: 's', cid: UNKNOWN, x: {} }, e(404, 'Conversation not found.')],
    ]],
    ['typing', () => ca, () => [
      [{}, e(422, "'cid' field is required.")],
      [{ cid: UNKNOWN }, e(404, 'Conversation not found.')],
      [{ cid: channel }, e(403, 'Forbidden.')],
      [{ cid, status: 5 }, '"status" must be a string'],
    ]],
    ['typing', () => cc, () => [[{ cid }, e(403, 'Forbidden.')]]],
    // §3.7 files
    ['create_files', () => ca, () => [
      [Array.from({ length: 11 }, () => ({ name: 'a.png', size: 1, content_type: 'image/png' })), e(422, "You've exceeded the file limit.")],
      [[{ size: 1, content_type: 'image/png' }], e(422, 'Incorrect file name.')],
      [[{ name: 'a.png', content_type: 'image/png' }], e(422, 'Incorrect file size.')],
      [[{ name: 'a.png', size: 1 }], e(422, 'Incorrect content type.')],
    ]],
    ['get_file_urls', () => ca, () => [
      [{}, e(422, 'File IDS missed.')],
      [{ file_ids: [] }, e(422, 'File IDS missed.')],
      [{ file_ids: 'x' }, e(422, 'File IDS missed.')],
      [{ file_ids: ids(11) }, e(422, 'File IDs for get download url exceeded.')],
      [{ file_ids: [UNKNOWN] }, "Can't find file"],
    ]],
    // §3.8 presence
    ['user_last_activity_subscribe', () => ca, () => [
      [{}, e(422, 'User ID missed.')],
      [{ id: UNKNOWN }, e(422, 'The specified user is incorrect.')],
    ]],
    // §3.9 push
    ['push_subscription_create', () => ca, () => [
      [{ device_udid: 'd', device_token: 't' }, e(422, 'Incorrect platform type.')],
      [{ platform: 'pc', device_udid: 'd', device_token: 't' }, e(422, 'Incorrect platform type.')],
      [{ platform: 'ios', device_token: 't' }, e(422, 'Incorrect device id.')],
      [{ platform: 'ios', device_udid: 'd' }, e(422, 'Incorrect token.')],
    ]],
    ['push_subscription_list', () => ca, () => [[{}, e(422, 'User ID missed.')]]],
    ['push_subscription_delete', () => ca, () => [
      [{}, e(422, "'device_id' is required.")],
      [{ device_udid: 'never-subscribed' }, e(422, 'Push notification record not found.')],
    ]],
    ['push_event_create', () => ca, () => [
      [{ message: { title: 't' } }, e(422, 'Incorrect recipients IDs.')],
      [{ recipients_ids: [], message: { title: 't' } }, e(422, 'Incorrect recipients IDs.')],
      [{ recipients_ids: [b._id] }, e(422, 'Notification message missed.')],
      [{ recipients_ids: [b._id], message: { title: 5 } }, e(422, 'Notification message missed.')],
      [{ recipients_ids: [UNKNOWN], message: { title: 't' } }, e(422, 'Recipients not found.')],
    ]],
    // §3.10 operations log
    ['op_log_list', () => ca, () => [
      [{}, e(422, 'Gt or lt query missed.')],
      [{ created_at: { gt: 1, lt: 2 } }, e(422, 'Gt or lt query missed.')],
      [{ created_at: { gt: null } }, e(422, 'Gt or lt query missed.')],
      [{ created_at: 'x' }, e(422, 'Gt or lt query missed.')],
      [{ created_at: { gt: 1 }, bogus: 1 }, '"bogus" is not allowed'],
    ]],
    // §1.5 transport-level failures
    ['no_such_packet', () => ca, () => [[{}, e(404, 'Route not found')]]],
    ['message_list', () => anon, () => [[{ cid }, e(401, 'Unauthorized.')]]],
    ['message_list', () => ca, () => [['abc', '"value" must be of type object']]],
  ];

  const seen = new Map<string, number>();
  for (const [packet, client, rows] of cases) {
    const n = (seen.get(packet) ?? 0) + 1;
    seen.set(packet, n);
    it(n === 1 ? packet : `${packet} (${n})`, () => table(client, packet, rows));
  }

  it('accepts an empty cids list as an empty result, not an error', async () => {
    const r = await ca.request('get_participants_by_cids', { cids: [] });
    assert.deepEqual({ users: r.users, conversations: r.conversations }, { users: [], conversations: {} });
  });

  it('left nothing behind: no message was stored by the rows above', async () => {
    const list = (await ca.request('message_list', { cid })).messages as { _id: string }[];
    assert.deepEqual(list.map((m) => m._id), [mid]);
  });
});
