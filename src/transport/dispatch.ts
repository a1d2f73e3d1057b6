import type { Logger } from 'pino';
import { OrderedPipeline } from '../domain/ordered-pipeline.js';
import type { HandlerContext, HandlerDeps, HandlerResult, RegisteredHandler } from '../handlers/define.js';
import { decodeFrame, encodeError, encodeResponse, type DecodedPacket } from '../protocol/envelope.js';
import { Errors, SamaError, samaError } from '../protocol/errors.js';
import type { Metrics } from './metrics.js';
import type { Connection, LocalSessions } from './sessions.js';

/**
 * decode → look up → auth → validate → handle → encode → map errors (design.md). The single
 * place where exceptions become wire errors: a SamaError keeps its status and message, anything
 * else is logged with the request id and answered 500 "Internal server error." — never its text.
 */
export class Dispatcher {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly ordered = new OrderedPipeline();

  constructor(
    private readonly handlers: ReadonlyMap<string, RegisteredHandler>,
    private readonly deps: HandlerDeps,
    private readonly sessions: LocalSessions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** Told of every packet handled without error (server stats count messages from it). */
    private readonly handled: (kind: string, now: number) => void = () => undefined,
  ) {}

  /** The registered handler of a packet, if any (the HTTP admin API runs handlers by name). */
  handler(kind: string): RegisteredHandler | undefined {
    return this.handlers.get(kind);
  }

  /** Handles one frame from `conn`. Never rejects; every failure becomes a reply. */
  async handleFrame(conn: Connection, text: string): Promise<void> {
    const decoded = decodeFrame(text);
    if (!decoded.ok) {
      this.metrics.badFrames.inc({ reason: decoded.reason });
      conn.send(encodeError(decoded.head, samaError(Errors.invalidDataFormat)));
      return;
    }
    const packet = decoded.packet;
    const handler = this.handlers.get(packet.name);
    if (!handler) {
      this.metrics.badFrames.inc({ reason: 'unknown_packet' });
      conn.send(encodeError(packet, samaError(Errors.routeNotFound)));
      return;
    }
    this.inFlight += 1;
    const series = this.metrics.packet(handler.kind);
    const end = series.duration.startTimer();
    let outcome: 'ok' | 'error' | 'internal' = 'ok';
    try {
      if (handler.auth && !conn.session) throw samaError(Errors.unauthorized);
      const input = handler.validator.parse(packet.body);
      const session = conn.session;
      const start = async (sequenced?: () => void): Promise<{ result: HandlerResult; now: number }> => {
        const now = Date.now();
        return { result: await handler.run(input, { session, address: conn.address, deps: this.deps, now, sequenced }), now };
      };
      const finish = async ({ result, now }: { result: HandlerResult; now: number }): Promise<void> => {
        this.applySession(conn, result);
        const reply = encodeResult(packet, result);
        if (reply !== undefined) conn.send(reply);
        await this.deliver(result, now);
      };
      const key = handler.orderingKey(input, session);
      await (key === undefined ? start().then(finish) : this.ordered.run(`ordered:${key}`, handler.pipelined, start, finish));
    } catch (err) {
      outcome = err instanceof SamaError ? 'error' : 'internal';
      conn.send(encodeError(packet, this.toSamaError(err, packet)));
    } finally {
      end();
      series[outcome].inc();
      if (outcome === 'ok') this.handled(handler.kind, Date.now());
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /**
   * Validates and runs one handler for the HTTP API, with the same per-key ordering and
   * deliveries as the WebSocket path. Throws SamaError or internal errors.
   */
  async execute(handler: RegisteredHandler, body: unknown, ctx: HandlerContext): Promise<HandlerResult> {
    const input = handler.validator.parse(body);
    let out: HandlerResult | undefined;
    const start = (sequenced?: () => void): Promise<HandlerResult> => handler.run(input, { ...ctx, sequenced });
    const finish = async (result: HandlerResult): Promise<void> => {
      out = result;
      await this.deliver(result, ctx.now);
    };
    const key = handler.orderingKey(input, ctx.session);
    await (key === undefined ? start().then(finish) : this.ordered.run(`ordered:${key}`, handler.pipelined, start, finish));
    this.handled(handler.kind, ctx.now);
    return out as HandlerResult;
  }

  /** Carries out a result's deliveries in order; failures are logged (the reply has gone). */
  private async deliver(result: HandlerResult, now: number): Promise<void> {
    for (const d of result.deliver ?? []) {
      try {
        await this.deps.delivery.deliver(d, now);
      } catch (err) {
        this.log.error({ err }, 'delivery failed');
      }
    }
  }

  /** Turns any thrown value into the error sent to the client, logging the unexpected ones. */
  toSamaError(err: unknown, packet?: DecodedPacket): SamaError {
    if (err instanceof SamaError) return err;
    this.log.error({ err, packet: packet?.name, requestId: packet?.id }, 'handler failed');
    return samaError(Errors.internal);
  }

  private applySession(conn: Connection, result: HandlerResult): void {
    const effect = result.session;
    if (!effect) return;
    switch (effect.kind) {
      case 'bind':
        this.sessions.bind(conn, effect.session);
        break;
      case 'unbind':
        this.sessions.unbind(conn);
        break;
      case 'inactive':
        this.sessions.setInactive(conn, effect.value);
        break;
      case 'drop_user':
        this.sessions.dropUser(effect.orgId, effect.userId, conn);
        break;
      case 'drop_other_devices':
        this.sessions.dropOtherDevices(conn);
        break;
    }
  }

  /** Resolves when no request is being handled (used by graceful shutdown). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function encodeResult(packet: DecodedPacket, result: HandlerResult): string | undefined {
  if (result.packet) return JSON.stringify(result.packet);
  if (result.response) return encodeResponse(packet.id, result.response);
  return undefined;
}
