import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AddressPolicy, ipv6Words } from './address-policy.js';

it('refuses loopback, private, link-local, unique-local, unspecified and embedded forms of them', () => {
  const p = new AddressPolicy('');
  for (const a of ['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.5', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.1.2.3', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', '::127.0.0.1', 'not-an-ip']) {
    assert.equal(p.allows(a), false, a);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1']) assert.equal(p.allows(a), true, a);
});

it('lets allow-listed addresses and ranges through', () => {
  const p = new AddressPolicy('127.0.0.1, 10.1.0.0/16, ::1');
  assert.equal(p.allows('127.0.0.1'), true);
  assert.equal(p.allows('127.0.0.2'), false);
  assert.equal(p.allows('10.1.200.3'), true);
  assert.equal(p.allows('10.2.0.1'), false);
  assert.equal(p.allows('::1'), true);
  assert.equal(p.allows('::ffff:127.0.0.1'), true);
});

it('reads IPv6 literals into words', () => {
  assert.deepEqual(ipv6Words('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Words('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(ipv6Words('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  assert.equal(ipv6Words('1::2::3'), undefined);
  assert.equal(ipv6Words('1:2:3'), undefined);
  assert.equal(ipv6Words('::ffff:1.2.3.400'), undefined);
});
