/**
 * The Content-Disposition a download is served with: `inline` only for media types a browser
 * renders without running anything (raster images, audio, video), `attachment` for the rest, so
 * an uploaded HTML or SVG file can never run script in a browser. The plain `filename` keeps
 * printable ASCII without quotes, backslashes or `!'()*`; the exact name goes in RFC 6266's
 * `filename*` only when that lost something (it also keeps signed S3 URLs free of characters
 * some S3-compatible servers encode differently).
 */
export function contentDisposition(meta: { readonly contentType: string; readonly name: string }): string {
  const inline = /^(image\/(png|jpeg|gif|webp|avif|heic|heif)|video\/|audio\/)/i.test(meta.contentType);
  const ascii = meta.name.replace(/[^\x20-\x7e]|["\\!'()*]/g, '_');
  const exact = ascii === meta.name ? '' : `; filename*=UTF-8''${encodeURIComponent(meta.name)}`;
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"${exact}`;
}
