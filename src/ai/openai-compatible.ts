import { postJson } from './http-json.js';
import { AiProviderError, type TextGenerator, type TextPrompt } from './provider.js';

export interface OpenAiCompatibleOptions {
  /** API base including its version path, e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set; local servers usually need none. */
  readonly apiKey: string | undefined;
  readonly model: string;
  readonly timeoutMs: number;
}

/**
 * Any server of the OpenAI chat-completions API — OpenAI and the hosted services that copy its API,
 * and local servers (llama.cpp's llama-server, Ollama, vLLM): `POST <base>/chat/completions` with
 * a system and a user message; the answer is `choices[0].message.content`.
 */
export class OpenAiCompatibleGenerator implements TextGenerator {
  readonly name = 'openai-compatible';
  private readonly url: string;

  constructor(private readonly opts: OpenAiCompatibleOptions) {
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async generate(prompt: TextPrompt): Promise<string> {
    const reply = await postJson(
      this.name,
      this.url,
      this.opts.apiKey === undefined ? {} : { authorization: `Bearer ${this.opts.apiKey}` },
      {
        model: this.opts.model,
        messages: [
          { role: 'system', content: prompt.instruction },
          { role: 'user', content: prompt.text },
        ],
        max_tokens: prompt.maxOutputTokens,
        temperature: 0.3,
        stream: false,
      },
      this.opts.timeoutMs,
    );
    const text = choiceText(reply);
    if (text === undefined) throw new AiProviderError(this.name, 'malformed');
    if (text === '') throw new AiProviderError(this.name, 'empty');
    return text;
  }
}

/** `choices[0].message.content` trimmed (a string, or an array of text parts); undefined when malformed. */
function choiceText(reply: unknown): string | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const choices = (reply as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return undefined;
  const first: unknown = choices[0];
  if (first === undefined) return '';
  if (typeof first !== 'object' || first === null) return undefined;
  const message = (first as { message?: unknown }).message;
  if (typeof message !== 'object' || message === null) return undefined;
  const content = (message as { content?: unknown }).content;
  if (content === null) return '';
  if (typeof content === 'string') return stripThinking(content).trim();
  if (!Array.isArray(content)) return undefined;
  let out = '';
  for (const part of content as unknown[]) {
    if (typeof part !== 'object' || part === null) return undefined;
    const t = (part as { text?: unknown }).text;
    if (typeof t === 'string') out += t;
  }
  return stripThinking(out).trim();
}

/** Reasoning models served locally (e.g. Qwen, DeepSeek-R1) may put their reasoning in <think>…</think> first. */
function stripThinking(text: string): string {
  return text.replace(/^\s*<think>[\s\S]*?<\/think>/, '');
}
