import WebSocket from 'ws';
import { child, escapeXml, localName, parseXml, type XmlElement } from './xml.js';

/**
 * A lean XMPP client over WebSocket (RFC 7395) for load generation: subprotocol `xmpp`, one
 * stanza per WebSocket message, `<open/>`/`<close/>` framing. It does what the benchmark needs
 * and nothing more: in-band registration (XEP-0077), SASL PLAIN, resource binding (and the
 * legacy session request where a server still requires it), MUC join and groupchat messages.
 *
 * Stanzas are handed to whoever waits for them (setup steps, matched by a predicate registered
 * before the request goes out, so an answer that arrives in the same TCP read cannot be missed);
 * everything else goes to `onStanza`.
 */

export const NS = {
  framing: 'urn:ietf:params:xml:ns:xmpp-framing',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  register: 'jabber:iq:register',
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucOwner: 'http://jabber.org/protocol/muc#owner',
  data: 'jabber:x:data',
  client: 'jabber:client',
} as const;

/**
 * The namespace declaration every stanza's start tag carries: over WebSocket each stanza is a
 * document of its own, so it cannot inherit `jabber:client` from a <stream:stream> as over TCP.
 */
export const STANZA_NS = `xmlns="${NS.client}"`;

const TIMEOUT_MS = 30_000;

interface Waiter {
  match: (el: XmlElement) => boolean;
  resolve: (el: XmlElement) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The defined condition of an error stanza or SASL failure (its first child element's name), for messages. */
export function errorCondition(el: XmlElement): string {
  const err = child(el, 'error') ?? el;
  const cond = err.children.find((c) => localName(c) !== 'text');
  const text = child(err, 'text')?.text;
  return `${cond ? localName(cond) : 'unknown'}${text ? ` (${text})` : ''}`;
}

export class XmppClient {
  private readonly waiters: Waiter[] = [];
  private seq = 0;
  private failure: Error | undefined;
  /** Stanzas no setup step waits for; `now` is process.hrtime.bigint() on arrival, before parsing. */
  onStanza: (el: XmlElement, now: bigint) => void = () => undefined;
  /** Called once if the connection closes or the server sends something unparsable. */
  onFailure: (err: Error) => void = () => undefined;
  /** The full JID the server bound, after `login`. */
  jid = '';

  private constructor(
    private readonly ws: WebSocket,
    readonly domain: string,
  ) {
    ws.on('message', (data: Buffer) => {
      const now = process.hrtime.bigint();
      let els: XmlElement[];
      try {
        els = parseXml(data.toString('utf8'));
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const el of els) this.dispatch(el, now);
    });
    ws.on('close', (code: number) => this.fail(new Error(`connection closed (${code})`)));
    ws.on('error', (err: Error) => this.fail(err));
  }

  /** Connects and opens the stream; resolves with the server's stream features. */
  static async connect(url: string, domain: string): Promise<{ client: XmppClient; features: XmlElement }> {
    const ws = new WebSocket(url, 'xmpp', { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (ws.protocol !== 'xmpp') {
      ws.terminate();
      throw new Error(`${url} did not accept the xmpp WebSocket subprotocol`);
    }
    const client = new XmppClient(ws, domain);
    return { client, features: await client.openStream() };
  }

  private dispatch(el: XmlElement, now: bigint): void {
    if (localName(el) === 'error' && el.name.startsWith('stream:')) return this.fail(new Error(`stream error: ${errorCondition(el)}`));
    if (el.name === 'close') return this.fail(new Error('server closed the stream'));
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i] as Waiter;
      if (w.match(el)) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(el);
        return;
      }
    }
    this.onStanza(el, now);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.onFailure(err);
  }

  /** Resolves with the next stanza matching `match`; register before sending what it answers. */
  private waitFor(what: string, match: (el: XmlElement) => boolean): Promise<XmlElement> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} from ${this.domain} within ${TIMEOUT_MS / 1000} s`));
      }, TIMEOUT_MS);
      const w: Waiter = { match, resolve, reject: (err) => reject(new Error(`waiting for ${what}: ${err.message}`)), timer };
      this.waiters.push(w);
    });
  }

  /** Sends raw XML: exactly one stanza or framing element. */
  send(xml: string): void {
    this.ws.send(xml);
  }

  /** Sends `<open/>` (initially and after SASL success) and resolves with the stream features. */
  private async openStream(): Promise<XmlElement> {
    const opened = this.waitFor('<open/>', (el) => el.name === 'open');
    const features = this.waitFor('stream features', (el) => localName(el) === 'features');
    this.send(`<open xmlns="${NS.framing}" to="${escapeXml(this.domain)}" version="1.0"/>`);
    await opened;
    return features;
  }

  /** Sends an IQ and resolves with its result; an error result rejects with its condition. */
  async iq(type: 'get' | 'set', to: string | undefined, payload: string): Promise<XmlElement> {
    const id = `iq${++this.seq}`;
    const reply = this.waitFor(`iq ${id} result`, (el) => el.name === 'iq' && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error'));
    this.send(`<iq ${STANZA_NS} type="${type}" id="${id}"${to === undefined ? '' : ` to="${escapeXml(to)}"`}>${payload}</iq>`);
    const r = await reply;
    if (r.attrs.type === 'error') throw new Error(`iq ${payload.slice(0, 60)}… failed: ${errorCondition(r)}`);
    return r;
  }

  /** In-band registration (XEP-0077) on the not yet authenticated stream. */
  async register(username: string, password: string): Promise<void> {
    await this.iq('set', undefined, `<query xmlns="${NS.register}"><username>${escapeXml(username)}</username><password>${escapeXml(password)}</password></query>`);
  }

  /**
   * SASL PLAIN with the features of the open stream, stream restart, resource binding, and a
   * session request where the server advertises one that is not optional (RFC 3921 servers).
   */
  async login(features: XmlElement, username: string, password: string, resource: string): Promise<void> {
    const mechanisms = child(features, 'mechanisms', NS.sasl)?.children.map((m) => m.text) ?? [];
    if (!mechanisms.includes('PLAIN')) throw new Error(`${this.domain} does not offer SASL PLAIN here (offers: ${mechanisms.join(', ') || 'none'}); plain authentication without TLS must be allowed`);
    const outcome = this.waitFor('SASL outcome', (el) => el.attrs.xmlns === NS.sasl && (el.name === 'success' || el.name === 'failure'));
    const creds = Buffer.from(`\0${username}\0${password}`, 'utf8').toString('base64');
    this.send(`<auth xmlns="${NS.sasl}" mechanism="PLAIN">${creds}</auth>`);
    const r = await outcome;
    if (r.name === 'failure') throw new Error(`SASL PLAIN for ${username} failed: ${errorCondition(r)}`);
    const after = await this.openStream();
    const bound = await this.iq('set', undefined, `<bind xmlns="${NS.bind}"><resource>${escapeXml(resource)}</resource></bind>`);
    this.jid = child(child(bound, 'bind') ?? bound, 'jid')?.text ?? '';
    if (!this.jid) throw new Error('bind result carries no jid');
    const session = child(after, 'session', NS.session);
    if (session && !child(session, 'optional')) await this.iq('set', undefined, `<session xmlns="${NS.session}"/>`);
  }

  /**
   * Joins a room as `nick` without history and resolves when the room sends this occupant's own
   * presence (status 110). `created` is true when the join created the room (status 201): XEP-0045
   * rooms stay locked until their owner accepts the default configuration (`unlockRoom`).
   */
  async join(room: string, nick: string): Promise<{ created: boolean }> {
    const occupant = `${room}/${nick}`;
    const self = this.waitFor(`self-presence in ${room}`, (el) => {
      if (el.name !== 'presence' || (el.attrs.from !== occupant && el.attrs.from !== room)) return false;
      if (el.attrs.type === 'error') return true;
      return (child(el, 'x', NS.mucUser)?.children ?? []).some((c) => c.name === 'status' && c.attrs.code === '110');
    });
    this.send(`<presence ${STANZA_NS} to="${escapeXml(occupant)}"><x xmlns="${NS.muc}"><history maxstanzas="0"/></x></presence>`);
    const p = await self;
    if (p.attrs.type === 'error') throw new Error(`joining ${room} failed: ${errorCondition(p)}`);
    return { created: (child(p, 'x', NS.mucUser)?.children ?? []).some((c) => c.name === 'status' && c.attrs.code === '201') };
  }

  /** Accepts a new room's default configuration ("instant room"), which unlocks it for others. */
  async unlockRoom(room: string): Promise<void> {
    await this.iq('set', room, `<query xmlns="${NS.mucOwner}"><x xmlns="${NS.data}" type="submit"/></query>`);
  }

  /** Ends the stream politely and drops the connection. */
  close(): void {
    this.failure ??= new Error('closed by the client');
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(`<close xmlns="${NS.framing}"/>`);
    this.ws.close();
  }
}
