import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/** One request the stand-in received. */
export interface AiRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

/** How the stand-in answers the next requests. */
export type AiMode =
  | { kind: 'ok'; text: string }
  | { kind: 'status'; status: number }
  /** Headers sent, body never finished (the client's deadline must end it). */
  | { kind: 'hang' }
  /** 200 with a body that is not the API's JSON. */
  | { kind: 'malformed'; body: string };

export interface FakeAi {
  readonly origin: string;
  readonly requests: AiRequest[];
  mode: AiMode;
  close(): Promise<void>;
}

/**
 * A local stand-in for an AI provider's HTTP API on a free loopback port, answering as the real
 * one does: `gemini` serves `POST /v1beta/models/<model>:generateContent` (key in
 * `x-goog-api-key`, reply `candidates[0].content.parts[].text`); `openai` serves
 * `POST /v1/chat/completions` (Bearer key, reply `choices[0].message.content`). A wrong path,
 * method or key is answered as the services do (404, 405, 401/400), so a client speaking the API
 * wrongly fails its tests.
 */
export async function fakeAi(api: 'gemini' | 'openai', opts: { key: string; model: string }): Promise<FakeAi> {
  const hanging = new Set<ServerResponse>();
  const state: { requests: AiRequest[]; mode: AiMode } = { requests: [], mode: { kind: 'ok', text: 'stand-in answer' } };
  const fake = state;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      fake.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      const expected = api === 'gemini' ? `/v1beta/models/${opts.model}:generateContent` : '/v1/chat/completions';
      if (req.url !== expected) return json(404, { error: { code: 404, message: 'not found' } });
      if (req.method !== 'POST') return json(405, { error: { code: 405, message: 'method not allowed' } });
      if (api === 'gemini' && req.headers['x-goog-api-key'] !== opts.key) return json(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid.' } });
      if (api === 'openai' && req.headers.authorization !== `Bearer ${opts.key}`) return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
      if (body === undefined || !String(req.headers['content-type']).startsWith('application/json')) return json(400, { error: { code: 400, message: 'invalid JSON payload' } });
      const mode = fake.mode;
      switch (mode.kind) {
        case 'status':
          return json(mode.status, { error: { code: mode.status, message: 'stand-in failure' } });
        case 'hang':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"candidates": [');
          hanging.add(res);
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' }).end(mode.body);
          return;
        case 'ok':
          if (api === 'gemini') {
            return json(200, {
              candidates: [{ content: { role: 'model', parts: [{ text: mode.text }] }, finishReason: 'STOP', index: 0 }],
              usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
              modelVersion: opts.model,
            });
          }
          return json(200, {
            id: 'chatcmpl-standin',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: mode.text }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return Object.assign(fake, {
    origin: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
