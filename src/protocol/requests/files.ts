import { Type } from '@sinclair/typebox';

/** One file announced by `create_files` (protocol.md §3.7). */
export const FileAnnouncement = Type.Object(
  {
    name: Type.String({ maxLength: 255 }),
    size: Type.Number({ minimum: 0 }),
    content_type: Type.String({ maxLength: 255 }),
  },
  { additionalProperties: true, title: 'FileAnnouncement' },
);

/**
 * `create_files`: an array of up to 10 announcements. This is the contract clients are typed
 * with; the server validates only "an array" up front (CreateFilesWire) and checks each item
 * itself (domain/files.ts), because SAMA answers each field's failure with its own 422
 * (`Incorrect file name.`, …) and the limit with `You've exceeded the file limit.`
 */
export const CreateFilesRequest = Type.Array(FileAnnouncement, { maxItems: 10 });

/** What the server's validator checks of `create_files` before the per-item checks. */
export const CreateFilesWire = Type.Array(Type.Unknown());

/** `get_file_urls`: up to 10 file (object) ids. */
export const GetFileUrlsRequest = Type.Object({ file_ids: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 10 }) }, { additionalProperties: true });
