import { postJson } from './http-json.js';
import { AiProviderError, type TextGenerator, type TextPrompt } from './provider.js';

export interface GeminiOptions {
  /** API origin, e.g. https://generativelanguage.googleapis.com (GOOGLE_GENERATIVE_AI_BASE_URL). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly timeoutMs: number;
}

/**
 * Google Gemini through its REST API, as SAMA uses it: `POST <base>/v1beta/models/<model>:generateContent`
 * with the key in `x-goog-api-key`; the instruction goes in `systemInstruction`, the text as one
 * user turn in `contents`; the answer is the text parts of the first candidate, joined.
 */
export class GeminiGenerator implements TextGenerator {
  readonly name = 'gemini';
  private readonly url: string;

  constructor(private readonly opts: GeminiOptions) {
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/v1beta/models/${encodeURIComponent(opts.model)}:generateContent`;
  }

  async generate(prompt: TextPrompt): Promise<string> {
    const reply = await postJson(
      this.name,
      this.url,
      { 'x-goog-api-key': this.opts.apiKey },
      {
        systemInstruction: { parts: [{ text: prompt.instruction }] },
        contents: [{ role: 'user', parts: [{ text: prompt.text }] }],
        generationConfig: { maxOutputTokens: prompt.maxOutputTokens, temperature: 0.3 },
      },
      this.opts.timeoutMs,
    );
    const text = candidateText(reply);
    if (text === undefined) throw new AiProviderError(this.name, 'malformed');
    if (text === '') throw new AiProviderError(this.name, 'empty');
    return text;
  }
}

/** `candidates[0].content.parts[].text` joined and trimmed; undefined when the shape is not Gemini's. */
function candidateText(reply: unknown): string | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const candidates = (reply as { candidates?: unknown }).candidates;
  // No candidates at all: the prompt was blocked (promptFeedback.blockReason) — no answer.
  if (candidates === undefined) return '';
  if (!Array.isArray(candidates)) return undefined;
  const first: unknown = candidates[0];
  if (first === undefined) return '';
  if (typeof first !== 'object' || first === null) return undefined;
  const content = (first as { content?: unknown }).content;
  // A candidate stopped for safety may come without content.
  if (content === undefined) return '';
  if (typeof content !== 'object' || content === null) return undefined;
  const parts = (content as { parts?: unknown }).parts;
  if (parts === undefined) return '';
  if (!Array.isArray(parts)) return undefined;
  let out = '';
  for (const p of parts as unknown[]) {
    if (typeof p !== 'object' || p === null) return undefined;
    const t = (p as { text?: unknown; thought?: unknown }).text;
    // Thinking models may return their reasoning as parts marked `thought`: not the answer.
    if ((p as { thought?: unknown }).thought === true) continue;
    if (t !== undefined && typeof t !== 'string') return undefined;
    out += t ?? '';
  }
  return out.trim();
}
