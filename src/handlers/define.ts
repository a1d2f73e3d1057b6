import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ChatAssistant } from '../domain/assistant.js';
import type { Delivery, DeliveryService } from '../domain/delivery.js';
import type { DataExports } from '../domain/exports.js';
import type { FileService } from '../domain/files.js';
import type { ObjectStorage } from '../files/storage.js';
import type { LoginThrottle } from '../domain/login-throttle.js';
import type { PasswordHasher } from '../domain/passwords.js';
import type { ScheduleWaker } from '../domain/scheduled-dispatcher.js';
import type { Presence } from '../domain/presence.js';
import type { Session, SessionDirectory } from '../domain/session.js';
import type { TokenService } from '../domain/tokens.js';
import type { Mailer } from '../mail/mailer.js';
import type { ScriptSandbox } from '../sandbox/sandbox.js';
import { compile, type ErrorMapping, type Validator } from '../protocol/validation.js';
import type { Store } from '../store/store.js';

/** Everything a handler may use, passed in by main.ts (no globals, no service locator). */
export interface HandlerDeps {
  readonly config: Config;
  readonly store: Store;
  readonly tokens: TokenService;
  readonly passwords: PasswordHasher;
  /** Undefined when no mail transport is configured. */
  readonly mailer: Mailer | undefined;
  /** Password and reset-code guessing limits (domain/login-throttle.ts). */
  readonly limiters: LoginThrottle;
  readonly sessions: SessionDirectory;
  readonly delivery: DeliveryService;
  readonly presence: Presence;
  readonly files: FileService;
  /** File bytes, for deletions (user_delete); URLs and sharing go through `files`. */
  readonly storage: ObjectStorage;
  /** Personal data export jobs (parley_data_export). */
  readonly exports: DataExports;
  /** message_summary and message_tone (domain/assistant.ts). */
  readonly assistant: ChatAssistant;
  /** Runs conversation handler scripts (protocol.md §8). */
  readonly sandbox: ScriptSandbox;
  /** Told of each new scheduled message so this node's dispatcher wakes in time; absent: found by its poll. */
  readonly scheduler?: ScheduleWaker;
  readonly log: Logger;
}

/** Per-request context. `session` is set for authenticated sockets and admin HTTP calls. */
export interface HandlerContext {
  readonly session: Session | undefined;
  /** Client address (for rate limits and logs). */
  readonly address: string;
  readonly deps: HandlerDeps;
  /** Request time, epoch ms; one clock reading per request. */
  readonly now: number;
  /**
   * For `pipelined` handlers: call once the request's place in its key's order is fixed (its
   * store write is queued); the next request with the same ordering key may then start, while
   * this one's reply and deliveries still go out before that one's.
   */
  readonly sequenced?: () => void;
}

/** Context of a handler that requires authentication: the session is always there. */
export interface AuthedContext extends HandlerContext {
  readonly session: Session;
}

/** A change to the socket's session that the transport carries out. */
export type SessionEffect =
  | { readonly kind: 'bind'; readonly session: Session }
  | { readonly kind: 'unbind' }
  /** Marks this device backgrounded (true) or foregrounded (false): it then also gets pushes. */
  | { readonly kind: 'inactive'; readonly value: boolean }
  /** Ends every session of a user (deletion): other sockets closed, this one unbound. */
  | { readonly kind: 'drop_user'; readonly orgId: string; readonly userId: string }
  /** Closes the user's sockets on other devices (password change); this one stays. */
  | { readonly kind: 'drop_other_devices' };

/**
 * What a handler produces. The transport sends `packet` as-is (e.g. `{ask: …}`) or wraps
 * `response` as `{"response":{"id":…, …response}}`; with neither, nothing is sent (typing).
 * Session effects run before the reply is sent, so the next request on the socket sees them.
 * Deliveries run after the reply, in order.
 */
export interface HandlerResult {
  readonly response?: Record<string, unknown>;
  readonly packet?: Record<string, unknown>;
  readonly session?: SessionEffect;
  readonly deliver?: readonly Delivery[];
}

interface HandlerBase<S extends TSchema> {
  /** The packet name on the wire. */
  readonly kind: string;
  readonly schema: S;
  /** How schema failures are reported (protocol.md §1.5). */
  readonly errors?: ErrorMapping;
  /**
   * Requests with the same key (e.g. a conversation id) are handled one at a time, reply and
   * deliveries included, so every recipient sees them in commit order. Return undefined to skip.
   */
  readonly orderingKey?: (input: Static<S>, session: Session | undefined) => string | undefined;
  /**
   * The handler calls `ctx.sequenced()` once its write is queued, so the next request with the
   * same key may be handled while this one's write commits (see OrderedPipeline).
   */
  readonly pipelined?: boolean;
}

/** A packet handler: parsed input in, result out; never sees a socket. */
export type Handler<S extends TSchema = TSchema> =
  | (HandlerBase<S> & { readonly auth: true; handle(input: Static<S>, ctx: AuthedContext): Promise<HandlerResult> })
  | (HandlerBase<S> & { readonly auth: false; handle(input: Static<S>, ctx: HandlerContext): Promise<HandlerResult> });

/** A handler with its compiled validator, as the registry holds it. */
export interface RegisteredHandler {
  readonly kind: string;
  readonly auth: boolean;
  readonly validator: Validator<TSchema>;
  /** Per-key serialisation (see Handler.orderingKey). */
  orderingKey(input: unknown, session: Session | undefined): string | undefined;
  /** See Handler.pipelined. */
  readonly pipelined: boolean;
  run(input: unknown, ctx: HandlerContext): Promise<HandlerResult>;
}

/** Declares one packet handler; compiles its schema once. */
export function defineHandler<S extends TSchema>(h: Handler<S>): RegisteredHandler {
  const validator = compile(h.schema, h.errors);
  return {
    kind: h.kind,
    auth: h.auth,
    validator,
    pipelined: h.pipelined ?? false,
    orderingKey(input, session) {
      return h.orderingKey?.(input, session);
    },
    run(input, ctx) {
      // The transport only calls an auth handler with a session (dispatch checks first).
      return h.auth ? h.handle(input, ctx as AuthedContext) : h.handle(input, ctx);
    },
  };
}

/** Success reply `{success: true}`. */
export const SUCCESS: HandlerResult = { response: { success: true } };
