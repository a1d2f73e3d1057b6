import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, aiProvider, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const base = { DATA_DIR: dir };

describe('AI settings', () => {
  it('select no provider, Gemini (SAMA\'s key) or an OpenAI-compatible API', () => {
    assert.equal(aiProvider(loadConfig(base)), 'none');
    const gemini = loadConfig({ ...base, GOOGLE_GENERATIVE_AI_API_KEY: 'k' });
    assert.equal(aiProvider(gemini), 'gemini');
    assert.equal(gemini.googleAiBaseUrl, 'https://generativelanguage.googleapis.com');
    assert.equal(aiProvider(loadConfig({ ...base, AI_BASE_URL: 'http://127.0.0.1:11434/v1', AI_MODEL: 'llama3.2' })), 'openai');
  });

  it('refuse an incomplete or ambiguous choice, naming the settings', () => {
    const refused = (env: Record<string, string>, text: RegExp): void => assert.throws(() => loadConfig({ ...base, ...env }), (e: unknown) => e instanceof ConfigError && text.test(e.message));
    refused({ AI_BASE_URL: 'http://127.0.0.1:8080/v1' }, /AI_BASE_URL needs AI_MODEL/);
    refused({ AI_BASE_URL: 'localhost:8080', AI_MODEL: 'm' }, /AI_BASE_URL must be an http\(s\) URL/);
    refused({ AI_BASE_URL: 'http://127.0.0.1:8080/v1', AI_MODEL: 'm', GOOGLE_GENERATIVE_AI_API_KEY: 'k' }, /unset one/);
    refused({ GOOGLE_GENERATIVE_AI_BASE_URL: 'ftp://x' }, /GOOGLE_GENERATIVE_AI_BASE_URL/);
    refused({ AI_TIMEOUT_MS: '5' }, /AI_TIMEOUT_MS/);
  });
});
