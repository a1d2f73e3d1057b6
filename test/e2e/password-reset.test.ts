import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { TestServer } from '../helpers/server.js';

/** A real SMTP server on loopback that keeps every message it receives. */
async function startSmtp(): Promise<{ port: number; mails: string[]; waitForMail: () => Promise<string>; close: () => Promise<void> }> {
  const mails: string[] = [];
  let waiter: ((m: string) => void) | undefined;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = Buffer.concat(chunks).toString('utf8');
        mails.push(mail);
        waiter?.(mail);
        waiter = undefined;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const address = smtp.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    mails,
    waitForMail: () => new Promise((resolve) => {
      if (mails.length > 0) resolve(mails.shift() as string);
      else waiter = (m) => resolve(mails.splice(mails.indexOf(m), 1)[0] as string);
    }),
    close: () => new Promise((resolve) => smtp.close(() => resolve())),
  };
}

describe('password reset by mailed code', () => {
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  before(async () => {
    smtp = await startSmtp();
    server = await TestServer.start({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Parley <no-reply@parley.test>' });
  });
  after(async () => {
    await server.stop();
    await smtp.close();
  });

  it('mails a six-digit code that resets the password for that device once', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const email = `${u.login.toLowerCase()}@example.com`;
    const c = await server.client();
    const mailed = smtp.waitForMail();
    assert.deepEqual(await c.request('user_send_otp', { organization_id: org, email, device_id: 'phone' }), { id: 'r1', success: true });
    const mail = await mailed;
    assert.match(mail, new RegExp(`To: ${email}`, 'i'));
    const code = /code is (\d{6})/.exec(mail)?.[1];
    assert.ok(code, 'mail contains a six-digit code');
    const wrong = code === '000000' ? '111111' : '000000';
    assert.deepEqual((await c.request('user_reset_password', { organization_id: org, email, device_id: 'phone', token: wrong, new_password: 'brand-new' })).error, { status: 403, message: 'Incorrect token for password recovery.' });
    assert.deepEqual((await c.request('user_reset_password', { organization_id: org, email, device_id: 'laptop', token: code, new_password: 'brand-new' })).error, { status: 403, message: 'Incorrect token for password recovery.' });
    assert.deepEqual((await c.request('user_reset_password', { organization_id: org, email, device_id: 'phone', token: Number(code), new_password: 'brand-new' })).success, true);
    // used once: the code is gone with the device's tokens
    assert.equal((await c.request('user_reset_password', { organization_id: org, email, device_id: 'phone', token: code, new_password: 'other-new' })).error.status, 403);
    assert.equal((await c.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'x' })).error.status, 401);
    assert.equal(typeof (await c.request('user_login', { organization_id: org, login: u.login, password: 'brand-new', device_id: 'x' })).token, 'string');
    await c.close();
  });

  it('answers unknown e-mails and bad input with the protocol errors', async () => {
    const org = await server.createOrg();
    const c = await server.client();
    assert.deepEqual((await c.request('user_send_otp', { organization_id: org, email: 'nobody@example.com', device_id: 'd' })).error, { status: 422, message: "We couldn't find the specified user." });
    assert.deepEqual((await c.request('user_reset_password', { organization_id: org, email: 'nobody@example.com', device_id: 'd', token: '123456', new_password: 'abcdef' })).error, { status: 422, message: "We couldn't find the specified user." });
    assert.deepEqual((await c.request('user_send_otp', { organization_id: org, email: 'nobody@example.com' })).error, { status: 422, message: "'device_id' is required." });
    assert.equal((await c.request('user_send_otp', { organization_id: org, email: 5, device_id: 'd' })).error, '"email" must be a string');
    await c.close();
  });

  it('refuses to pretend when no mail transport is configured', async () => {
    const s = await TestServer.start();
    try {
      const org = await s.createOrg();
      const u = await s.createUser(org);
      const c = await s.client();
      assert.deepEqual((await c.request('user_send_otp', { organization_id: org, email: `${u.login.toLowerCase()}@example.com`, device_id: 'd' })).error, { status: 401, message: 'Failed to create OTP sender transporter.' });
      await c.close();
    } finally {
      await s.stop();
    }
  });
});
