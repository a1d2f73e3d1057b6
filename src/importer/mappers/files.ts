import { sanitizeFileName } from '../../domain/files.js';
import type { CollectionSpec } from '../spec.js';
import { bad, int, objectId, times } from '../values.js';
import { IMPORT_KEEP_SCOPE, ownOrg, rawOrg } from './common.js';

/**
 * File records (protocol.md §11.9). `object_id` is the storage key and the id clients hold, so
 * it is kept as it is: the objects already in SAMA's bucket stay valid when Parley's S3 settings
 * name that bucket. Where a file is attached, avatared or used as a conversation image, the
 * message, user or conversation mapper links it; every file also gets IMPORT_KEEP_SCOPE, so
 * Parley's cleanup of never-attached uploads leaves it alone.
 */
export const files: CollectionSpec = {
  collection: 'files',
  table: 'files',
  fields: ['_id', 'organization_id', 'user_id', 'name', 'size', 'content_type', 'object_id', 'created_at', 'updated_at', 'createdAt', 'updatedAt'],
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const object_id = objectId(doc.object_id) ?? bad('object_id is not 24 hex characters');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const raw = typeof doc.name === 'string' ? doc.name : '';
    const name = sanitizeFileName(raw) ?? 'file';
    const size = int(doc.size) ?? bad('size is not an integer');
    if (size < 0) bad('size is negative');
    const contentType = typeof doc.content_type === 'string' && doc.content_type.trim() !== '' ? doc.content_type.trim().toLowerCase() : 'application/octet-stream';
    const org = rawOrg(doc);
    const t = times(doc, id, settings.now);
    return {
      refs: { organizations: [org] },
      build(look) {
        const organization_id = ownOrg(org, look);
        return {
          // uploaded_at stays null: Parley records it only for its own local upload route.
          rows: [{ object_id, id, organization_id, user_id: user, name, size, content_type: contentType, uploaded_at: null, ...t }],
          extra: [{ table: 'file_links', rows: [{ object_id, organization_id, scope: IMPORT_KEEP_SCOPE, created_at: t.created_at }] }],
          ...(name !== raw ? { note: 'file name made safe for download headers (path, control characters)' } : {}),
        };
      },
    };
  },
};
