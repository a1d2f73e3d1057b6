import type { LoadTarget, RunSink } from './load-target.js';
import { escapeXml, type XmlElement } from './xml.js';
import { STANZA_NS, XmppClient } from './xmpp-client.js';

/**
 * The XMPP side of the generator: the same groups as the SAMA driver, as MUC rooms. Each user
 * registers in-band on its own connection, logs in there (SASL PLAIN, bind) and joins its
 * group's room; the group's first member creates the room and unlocks it before the others join.
 *
 * How the run events map onto XMPP: a room reflects a groupchat message to every occupant,
 * the sender included, keeping the sender's stanza id. The copy that comes back to the sender
 * (from the sender's own occupant JID) is the ack; the copies the other occupants receive are
 * the deliveries, and their body is the send time, as in the SAMA driver.
 */

interface Member {
  client: XmppClient;
  /** room@muc-domain, escaped for an attribute value. */
  roomAttr: string;
  /** room@muc-domain/nick: the `from` of this member's own messages as the room reflects them. */
  occupant: string;
}

const LOGIN_BATCH = 32;
const JOIN_BATCH = 16;
const RESOURCE = 'bench';

async function signUp(url: string, domain: string, username: string, password: string): Promise<XmppClient> {
  const { client, features } = await XmppClient.connect(url, domain);
  try {
    await client.register(username, password);
    await client.login(features, username, password, RESOURCE);
    return client;
  } catch (err) {
    client.close();
    throw new Error(`user ${username}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Sets up `groups` rooms of `groupSize` users on the XMPP server at `url` (a WebSocket endpoint). */
export async function setupXmpp(url: string, domain: string, mucDomain: string, groups: number, groupSize: number, prefix: string, password: string): Promise<LoadTarget> {
  const count = groups * groupSize;
  const name = (i: number): string => `${prefix}u${i}`;
  const clients: XmppClient[] = [];
  for (let i = 0; i < count; i += LOGIN_BATCH) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(LOGIN_BATCH, count - i) }, (_, j) => signUp(url, domain, name(i + j), password)))));
  }
  const members: Member[] = [];
  for (let g0 = 0; g0 < groups; g0 += JOIN_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(JOIN_BATCH, groups - g0) }, async (_, j) => {
        const g = g0 + j;
        const room = `${prefix}g${g}@${mucDomain}`;
        const at = (k: number): XmppClient => clients[g * groupSize + k] as XmppClient;
        const { created } = await at(0).join(room, name(g * groupSize));
        if (created) await at(0).unlockRoom(room);
        await Promise.all(Array.from({ length: groupSize - 1 }, (_, k) => at(k + 1).join(room, name(g * groupSize + k + 1))));
      }),
    );
  }
  for (let g = 0; g < groups; g++) {
    const room = `${prefix}g${g}@${mucDomain}`;
    for (let k = 0; k < groupSize; k++) members.push({ client: clients[g * groupSize + k] as XmppClient, roomAttr: escapeXml(room), occupant: `${room}/${name(g * groupSize + k)}` });
  }

  return {
    members: members.length,
    groupSize,
    send(member, id, sentNs) {
      const m = members[member] as Member;
      // A decimal number needs no escaping; the id is escaped in case a caller ever uses markup characters.
      m.client.send(`<message ${STANZA_NS} to="${m.roomAttr}" type="groupchat" id="${escapeXml(id)}"><body>${sentNs}</body></message>`);
    },
    listen(sink: RunSink) {
      for (const m of members) {
        m.client.onStanza = (el: XmlElement, now: bigint) => {
          if (el.attrs.type === 'error') return sink.error();
          if (el.name !== 'message') return; // occupants' presence, iq results
          const body = el.children.find((c) => c.name === 'body');
          if (body === undefined) return; // e.g. the room subject, sent on join
          if (el.attrs.from === m.occupant) sink.ack(el.attrs.id ?? '', now);
          else if (/^\d+$/.test(body.text)) sink.deliver(BigInt(body.text), now);
        };
        m.client.onFailure = () => sink.error();
      }
    },
  };
}
