import { Errors, samaError } from '../../protocol/errors.js';
import { CreateFilesWire, RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `create_files` (protocol.md §3.7): the body is an array of up to 10 `{name, size,
 * content_type}`. Each entry becomes a file row and an upload URL for exactly that many bytes.
 * Parley also enforces FILE_MAX_SIZE, FILE_MAX_REQUEST_SIZE and FILE_ALLOWED_CONTENT_TYPES with
 * the field's own SAMA error, and stores a sanitised name.
 */
export const createFiles = defineHandler({
  kind: 'create_files',
  auth: true,
  schema: CreateFilesWire,
  async handle(input, { deps, session, now }) {
    if (input.length > 10) throw samaError(Errors.fileLimit);
    const files = await deps.files.announce(session.orgId, session.userId, input, now);
    return { response: { files } };
  },
});

/**
 * `get_file_urls`: download URLs keyed by object id (SAMA's object shape, not the docs' array).
 * Only for files the caller may see: their own uploads, files sent in a conversation they are
 * in, avatars of their organization. SAMA hands a URL to anyone in the organization; Parley does
 * not, and answers "Can't find file" as SAMA does for unknown ids.
 */
export const getFileUrls = defineHandler({
  kind: 'get_file_urls',
  auth: true,
  schema: RequestSchemas.get_file_urls,
  errors: { fields: { file_ids: { missing: Errors.fileIdsMissed, invalid: Errors.fileIdsMissed, tooMany: Errors.fileIdsExceeded } } },
  async handle(input, { deps, session, now }) {
    const file_urls = await deps.files.downloadUrls(session.orgId, session.userId, input.file_ids, now);
    return { response: { file_urls } };
  },
});
