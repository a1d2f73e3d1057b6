/**
 * The AI port: one request for text in, text out. Implementations speak one provider's HTTP API
 * (ai/gemini.ts, ai/openai-compatible.ts); main.ts picks one from the config, or none.
 */

/** One instruction and the text it applies to. */
export interface TextPrompt {
  /** What to do, written by Parley (never user text). */
  readonly instruction: string;
  /** The user's text the instruction applies to (chat messages, a message body). */
  readonly text: string;
  /** Upper bound on the length of the answer, in tokens. */
  readonly maxOutputTokens: number;
}

/** A provider that writes text. */
export interface TextGenerator {
  /** Short name for logs and metrics (`gemini`, `openai-compatible`). */
  readonly name: string;
  /**
   * The provider's answer, trimmed and non-empty. Rejects with AiProviderError on any failure:
   * an HTTP error status, no answer within the deadline, a network error, a reply that is not the
   * expected JSON or holds no text.
   */
  generate(prompt: TextPrompt): Promise<string>;
}

/** Why a provider request failed. */
export type AiFailure = 'status' | 'timeout' | 'network' | 'malformed' | 'empty';

/**
 * A provider request that failed. Its message names the provider, the reason and the HTTP status
 * only — never the text sent or the provider's reply body, which may echo it — so it is safe to log.
 */
export class AiProviderError extends Error {
  override name = 'AiProviderError';

  constructor(
    readonly provider: string,
    readonly reason: AiFailure,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(`${provider}: ${reason}${status === undefined ? '' : ` (HTTP ${String(status)})`}`, options);
  }
}
