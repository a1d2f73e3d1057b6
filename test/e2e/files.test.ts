import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestClient } from '../helpers/client.js';
import { TestS3 } from '../helpers/s3.js';
import { TestServer, uniqueName } from '../helpers/server.js';

const CANT_FIND = "Can't find file";

interface Announced {
  object_id: string;
  upload_url: string;
}

async function announce(c: TestClient, name: string, size: number, content_type = 'application/octet-stream'): Promise<Announced> {
  const r = await c.request('create_files', [{ name, size, content_type }]);
  assert.ok(r.files, JSON.stringify(r));
  return r.files[0];
}

function put(url: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<Response> {
  return fetch(url, { method: 'PUT', body, headers: { 'content-type': contentType } });
}

async function download(c: TestClient, objectId: string): Promise<Response> {
  const r = await c.request('get_file_urls', { file_ids: [objectId] });
  assert.equal(typeof r.file_urls?.[objectId], 'string', JSON.stringify(r));
  return fetch(r.file_urls[objectId]);
}

/** Two users in a group, a third user of the same organization outside it, one of another organization. */
async function cast(server: TestServer): Promise<{ org: string; bId: string; a: TestClient; b: TestClient; outsider: TestClient; foreigner: TestClient; cid: string; close: () => Promise<void> }> {
  const org = await server.createOrg();
  const [ua, ub, uc] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
  const ud = await server.createUser(await server.createOrg());
  const [a, b, outsider, foreigner] = await Promise.all([server.loggedIn(ua), server.loggedIn(ub), server.loggedIn(uc), server.loggedIn(ud)]);
  const cid = (await a.request('conversation_create', { type: 'g', name: 'files', participants: [ub._id] })).conversation._id as string;
  return { org, bId: ub._id, a, b, outsider, foreigner, cid, close: async () => void (await Promise.all([a, b, outsider, foreigner].map((c) => c.close()))) };
}

/** The behaviour every storage driver must show. */
function driverSuite(name: string, start: (env?: Record<string, string>) => Promise<TestServer>, oversizeStatus: number): void {
  describe(`files on the ${name} driver`, () => {
    let server: TestServer;
    before(async () => {
      server = await start();
    });
    after(() => server.stop());

    it('uploads through the issued URL, sends it as an attachment, and the recipient downloads the same bytes', async () => {
      const { a, b, cid, close } = await cast(server);
      const bytes = randomBytes(70_000);
      const r = await a.request('create_files', [{ name: 'photo.png', size: bytes.length, content_type: 'image/png' }]);
      const f = r.files[0];
      assert.match(f.object_id, /^[0-9a-f]{24}$/);
      assert.equal(f.name, 'photo.png');
      assert.equal(f.size, bytes.length);
      assert.equal(f.content_type, 'image/png');
      assert.equal(typeof f._id, 'string');
      assert.equal(typeof f.created_at, 'string');
      assert.equal((await put(f.upload_url, bytes, 'image/png')).status, 200);
      a.send({ message: { id: 'm1', cid, body: 'look', attachments: [{ file_id: f.object_id, file_name: 'photo.png', file_content_type: 'image/png' }] } });
      const got = await b.next((m) => m.message?.body === 'look');
      assert.equal(got.message.attachments[0].file_id, f.object_id);
      const res = await download(b, f.object_id);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      await close();
    });

    it('gives download URLs only to the uploader and the participants of a conversation where the file was sent', async () => {
      const { org, a, b, outsider, foreigner, cid, close } = await cast(server);
      const f = await announce(a, 'secret.pdf', 5, 'application/pdf');
      assert.equal((await put(f.upload_url, 'hello', 'application/pdf')).status, 200);
      // before it is sent: only the uploader
      assert.equal((await download(a, f.object_id)).status, 200);
      assert.equal((await b.request('get_file_urls', { file_ids: [f.object_id] })).error, CANT_FIND);
      a.send({ message: { id: 'm2', cid, attachments: [{ file_id: f.object_id }] } });
      await a.next((m) => m.ask?.mid === 'm2');
      assert.equal(await (await download(b, f.object_id)).text(), 'hello');
      assert.equal((await outsider.request('get_file_urls', { file_ids: [f.object_id] })).error, CANT_FIND);
      assert.equal((await foreigner.request('get_file_urls', { file_ids: [f.object_id] })).error, CANT_FIND);
      // one hidden id spoils the whole request, without saying which
      const mine = await announce(outsider, 'x.bin', 1);
      assert.equal((await outsider.request('get_file_urls', { file_ids: [mine.object_id, f.object_id] })).error, CANT_FIND);
      // naming someone else's file in your own message grants neither you nor your chat access
      const e = await server.createUser(org);
      const ce = await server.loggedIn(e);
      const cid2 = (await outsider.request('conversation_create', { type: 'u', participants: [e._id] })).conversation._id as string;
      outsider.send({ message: { id: 'm3', cid: cid2, attachments: [{ file_id: f.object_id }] } });
      await outsider.next((m) => m.ask?.mid === 'm3');
      assert.equal((await ce.request('get_file_urls', { file_ids: [f.object_id] })).error, CANT_FIND);
      await ce.close();
      assert.equal((await outsider.request('get_file_urls', { file_ids: [f.object_id] })).error, CANT_FIND);
      await close();
    });

    it('refuses a body of another size than announced, a tampered signature and an expired URL', async () => {
      const { a, close } = await cast(server);
      const f = await announce(a, 'a.bin', 10);
      assert.equal((await put(f.upload_url, randomBytes(11))).status, oversizeStatus);
      const u = new URL(f.upload_url);
      for (const [k, v] of u.searchParams) if (/signature/i.test(k)) u.searchParams.set(k, (v.startsWith('0') ? '1' : '0') + v.slice(1));
      assert.equal((await put(u.toString(), randomBytes(10))).status, 403);
      assert.equal((await put(f.upload_url, randomBytes(10))).status, 200);

      const short = await start({ FILE_UPLOAD_URL_EXPIRES_IN: '1' });
      try {
        const org = await short.createOrg();
        const c = await short.loggedIn(await short.createUser(org));
        const g = await announce(c, 'late.bin', 3);
        await sleep(2100);
        assert.equal((await put(g.upload_url, 'abc')).status, 403);
        await c.close();
      } finally {
        await short.stop();
      }
      await close();
    });

    it('serves avatars and conversation images to those who may see them, and refuses others\' files', async () => {
      const { bId, a, b, outsider, foreigner, cid, close } = await cast(server);
      const av = await announce(a, 'me.jpg', 4, 'image/jpeg');
      assert.equal((await put(av.upload_url, 'jpeg', 'image/jpeg')).status, 200);
      const edited = await a.request('user_edit', { avatar_object: { file_id: av.object_id, file_name: 'me.jpg' } });
      assert.equal(typeof edited.user.avatar_url, 'string');
      assert.equal(await (await fetch(edited.user.avatar_url)).text(), 'jpeg');
      const seen = await outsider.request('get_users_by_ids', { ids: [edited.user._id] });
      assert.equal(await (await fetch(seen.users[0].avatar_url)).text(), 'jpeg');
      assert.equal(await (await download(outsider, av.object_id)).text(), 'jpeg');
      assert.equal((await foreigner.request('get_file_urls', { file_ids: [av.object_id] })).error, CANT_FIND);
      // an avatar must be a file the user may see
      assert.equal((await foreigner.request('user_edit', { avatar_object: { file_id: av.object_id } })).error, CANT_FIND);

      const img = await announce(a, 'group.png', 3, 'image/png');
      assert.equal((await put(img.upload_url, 'png', 'image/png')).status, 200);
      const up = await a.request('conversation_update', { id: cid, image_object: { file_id: img.object_id, file_name: 'group.png' } });
      assert.equal(await (await fetch(up.conversation.image_url)).text(), 'png');
      const listed = await b.request('conversation_list', {});
      const conv = listed.conversations.find((x: { _id: string }) => x._id === cid);
      assert.equal(await (await fetch(conv.image_url)).text(), 'png');
      assert.equal((await outsider.request('get_file_urls', { file_ids: [img.object_id] })).error, CANT_FIND);
      assert.equal((await b.request('conversation_update', { id: cid, image_object: { file_id: av.object_id } })).error?.status, 403);
      const other = await announce(outsider, 'o.png', 1, 'image/png');
      assert.equal((await a.request('conversation_create', { type: 'g', name: 'x', participants: [bId], image_object: { file_id: other.object_id } })).error, CANT_FIND);
      await close();
    });

    it('deletes files that were never attached, and keeps the rest', async () => {
      const quick = await start({ FILE_UNATTACHED_EXPIRES_IN: '1', FILE_CLEANUP_INTERVAL_MS: '200' });
      try {
        const { a, cid, close } = await cast(quick);
        const lone = await announce(a, 'lone.bin', 4);
        const sent = await announce(a, 'sent.bin', 4);
        assert.equal((await put(lone.upload_url, 'lone')).status, 200);
        assert.equal((await put(sent.upload_url, 'sent')).status, 200);
        const loneUrl = (await a.request('get_file_urls', { file_ids: [lone.object_id] })).file_urls[lone.object_id] as string;
        a.send({ message: { id: 'keep', cid, attachments: [{ file_id: sent.object_id }] } });
        await a.next((m) => m.ask?.mid === 'keep');
        const deadline = Date.now() + 10_000;
        while ((await quick.node.store.files.byObjectId(lone.object_id)) !== undefined && Date.now() < deadline) await sleep(100);
        assert.equal(await quick.node.store.files.byObjectId(lone.object_id), undefined);
        assert.equal((await fetch(loneUrl)).status, 404);
        assert.equal((await a.request('get_file_urls', { file_ids: [lone.object_id] })).error, CANT_FIND);
        assert.equal(await (await download(a, sent.object_id)).text(), 'sent');
        await close();
      } finally {
        await quick.stop();
      }
    });
  });
}

describe('create_files and get_file_urls validation', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ FILE_MAX_SIZE: '1000', FILE_MAX_REQUEST_SIZE: '1500', FILE_ALLOWED_CONTENT_TYPES: 'image/*, application/pdf' });
  });
  after(() => server.stop());

  it('answers SAMA errors for bad entries and enforces the configured limits', async () => {
    const c = await server.loggedIn(await server.createUser(await server.createOrg()));
    const ok = { name: 'a.png', size: 10, content_type: 'image/png' };
    const err = async (body: unknown): Promise<unknown> => (await c.request('create_files', body)).error;
    assert.deepEqual(await err(Array.from({ length: 11 }, () => ok)), { status: 422, message: "You've exceeded the file limit." });
    assert.deepEqual(await err([{ ...ok, name: '' }]), { status: 422, message: 'Incorrect file name.' });
    assert.deepEqual(await err([{ ...ok, name: 42 }]), { status: 422, message: 'Incorrect file name.' });
    assert.deepEqual(await err([{ ...ok, name: '../..' }]), { status: 422, message: 'Incorrect file name.' });
    assert.deepEqual(await err([{ ...ok, size: '10' }]), { status: 422, message: 'Incorrect file size.' });
    assert.deepEqual(await err([{ ...ok, size: 1.5 }]), { status: 422, message: 'Incorrect file size.' });
    assert.deepEqual(await err([{ ...ok, size: 1001 }]), { status: 422, message: 'Incorrect file size.' });
    assert.deepEqual(await err([{ ...ok, size: 800 }, { ...ok, size: 800 }]), { status: 422, message: 'Incorrect file size.' });
    assert.deepEqual(await err([{ ...ok, content_type: 'text/html' }]), { status: 422, message: 'Incorrect content type.' });
    assert.deepEqual(await err([{ ...ok, content_type: 'not a type' }]), { status: 422, message: 'Incorrect content type.' });
    assert.deepEqual(await err(['x']), { status: 422, message: 'Incorrect file name.' });
    assert.equal(typeof (await err({ name: 'a' })), 'string');
    // a name is reduced to its last path segment, without control characters
    const r = await c.request('create_files', [{ ...ok, name: '..\\dir/evil\u0000\u202ename.png' }, { ...ok, content_type: 'Application/PDF' }]);
    assert.equal(r.files[0].name, 'evil\u202ename.png'.replace('\u202e', ''));
    assert.equal(r.files[1].content_type, 'application/pdf');
    assert.deepEqual((await c.request('get_file_urls', {})).error, { status: 422, message: 'File IDS missed.' });
    assert.deepEqual((await c.request('get_file_urls', { file_ids: [] })).error, { status: 422, message: 'File IDS missed.' });
    assert.deepEqual((await c.request('get_file_urls', { file_ids: Array.from({ length: 11 }, () => r.files[0].object_id) })).error, { status: 422, message: 'File IDs for get download url exceeded.' });
    assert.equal((await c.request('get_file_urls', { file_ids: ['../../etc/passwd'] })).error, CANT_FIND);
    // the connection still works
    assert.equal(typeof (await c.request('get_file_urls', { file_ids: [r.files[0].object_id] })).file_urls[r.files[0].object_id], 'string');
    await c.close();
  });
});

describe('the local driver endpoint', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('is write-once, refuses streamed bodies that run past the announced size, and serves ranges with safe headers', async () => {
    const c = await server.loggedIn(await server.createUser(await server.createOrg()));
    const f = await announce(c, 'page.html', 10, 'text/html');
    const chunks = [randomBytes(6), randomBytes(6)];
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        const next = chunks.shift();
        if (next) ctl.enqueue(next);
        else ctl.close();
      },
    });
    assert.equal((await fetch(f.upload_url, { method: 'PUT', body: stream, duplex: 'half' })).status, 413);
    // a client that goes away mid-body leaves nothing behind, and the URL still works
    const target = new URL(f.upload_url);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(Number(target.port), target.hostname, () => {
        sock.write(`PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/html\r\nContent-Length: 10\r\n\r\n01234`);
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
      sock.on('error', reject);
    });
    await sleep(100);
    assert.equal((await put(f.upload_url, '0123456789', 'text/html')).status, 200);
    assert.equal((await put(f.upload_url, 'abcdefghij', 'text/html')).status, 409);
    const dir = join(server.node.config.dataDir, 'files', f.object_id.slice(0, 2));
    assert.deepEqual(readdirSync(dir), [f.object_id], 'no partial uploads left');
    const url = (await c.request('get_file_urls', { file_ids: [f.object_id] })).file_urls[f.object_id] as string;
    const whole = await fetch(url);
    assert.equal(await whole.text(), '0123456789');
    assert.match(whole.headers.get('content-disposition') ?? '', /^attachment; filename="page.html"/);
    assert.equal(whole.headers.get('x-content-type-options'), 'nosniff');
    assert.match(whole.headers.get('content-security-policy') ?? '', /sandbox/);
    const part = await fetch(url, { headers: { range: 'bytes=2-4' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 2-4/10');
    assert.equal(await part.text(), '234');
    assert.equal((await fetch(url, { headers: { range: 'bytes=20-' } })).status, 416);
    // the same signature bytes in a non-canonical encoding (a padding bit flipped) are refused too
    const alt = new URL(url);
    const sig = alt.searchParams.get('signature') ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    alt.searchParams.set('signature', sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.slice(-1)) ^ 1]);
    assert.equal((await fetch(alt)).status, 403);
    // a download URL cannot be used to upload, nor an upload URL to download
    assert.equal((await put(url, '0123456789')).status, 403);
    assert.equal((await fetch(f.upload_url)).status, 403);
    assert.equal((await fetch(`${server.httpUrl}/files/${f.object_id}`)).status, 403);
    // repeated calls hand out the same URL, so clients can cache
    assert.equal((await c.request('get_file_urls', { file_ids: [f.object_id] })).file_urls[f.object_id], url);
    await c.close();
  });
});

driverSuite('local', (env = {}) => TestServer.start(env), 413);

describe('S3 driver against a local S3-compatible server', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await TestS3.start();
  });
  after(() => s3.stop());
  driverSuite('s3', (env = {}) => TestServer.start({ ...s3.env(uniqueName('bucket').toLowerCase()), ...env }), 403);
});
