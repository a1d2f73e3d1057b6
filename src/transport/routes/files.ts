import type { Readable } from 'node:stream';
import { contentDisposition } from '../../files/disposition.js';
import type { LocalFileEndpoint, LocalTransferResult } from '../../files/storage.js';
import type { HttpRoutes } from '../http.js';

type Query = Record<string, string | undefined>;

function refuse(reply: import('fastify').FastifyReply, r: Extract<LocalTransferResult, { kind: 'refused' }>): import('fastify').FastifyReply {
  return reply.code(r.status).type('text/plain; charset=utf-8').send(r.reason);
}

/**
 * `PUT /files/:objectId` and `GET /files/:objectId` for the local storage driver: the URLs that
 * `create_files` and `get_file_urls` hand out point here. Bodies are streamed to disk (never
 * buffered, never parsed), whatever their content type; every check is the endpoint's.
 * Downloads carry headers that stop a browser from running uploaded content on this origin.
 */
export function localFileRoutes(endpoint: LocalFileEndpoint): HttpRoutes {
  return (app, ctx) => {
    void app.register((scope, _opts, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, payload, next) => next(null, payload));

      scope.put<{ Params: { objectId: string }; Querystring: Query }>('/files/:objectId', async (req, reply) => {
        const length = req.headers['content-length'];
        const body = (req.body as Readable | undefined) ?? req.raw;
        const result = await endpoint.upload({ objectId: req.params.objectId, query: req.query, contentLength: length === undefined ? undefined : Number(length), body });
        if (result.kind === 'refused') {
          ctx.log.info({ objectId: req.params.objectId, status: result.status, reason: result.reason }, 'file upload refused');
          // The client may still be sending; close the connection rather than read the rest.
          if (!req.raw.readableEnded) reply.header('connection', 'close');
          return refuse(reply, result);
        }
        return reply.code(200).send();
      });

      scope.get<{ Params: { objectId: string }; Querystring: Query }>('/files/:objectId', async (req, reply) => {
        const result = await endpoint.download({ objectId: req.params.objectId, query: req.query, range: req.headers.range });
        if (result.kind === 'refused') return refuse(reply, result);
        if (result.kind !== 'file') return reply.code(500).send();
        const expires = Number(req.query.expires) * 1000;
        reply
          .code(result.partial ? 206 : 200)
          .header('content-type', result.contentType)
          .header('content-length', String(result.size === 0 ? 0 : result.end - result.start + 1))
          .header('content-disposition', contentDisposition(result))
          .header('accept-ranges', 'bytes')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', `private, max-age=${String(Math.max(0, Math.floor((expires - Date.now()) / 1000)))}, immutable`);
        if (result.partial) reply.header('content-range', `bytes ${String(result.start)}-${String(result.end)}/${String(result.size)}`);
        return reply.send(result.body);
      });
      done();
    });
  };
}
