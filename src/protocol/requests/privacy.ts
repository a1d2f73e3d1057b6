import { Type } from '@sinclair/typebox';
import { IdString } from '../schemas.js';

/** `parley_data_export` (docs/protocol-extensions.md): starts an export of the caller's own data. */
export const DataExportRequest = Type.Object({}, { additionalProperties: false });

/** `parley_data_export_status`: one of the caller's export jobs. */
export const DataExportStatusRequest = Type.Object({ id: IdString }, { additionalProperties: false });
