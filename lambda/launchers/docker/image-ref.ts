/** An image reference split as the Engine's `POST /images/create` wants it. */
export interface ImageRef {
  readonly repository: string;
  /** A tag, or a digest (`sha256:...`); `latest` when the reference names neither. */
  readonly tag: string;
}

/**
 * Splits `registry:5000/team/image:tag` or `image@sha256:...`. The tag is after the last colon only
 * when that colon comes after the last slash (a colon before it belongs to a registry port).
 */
export function parseImageRef(reference: string): ImageRef {
  const at = reference.indexOf('@');
  if (at >= 0) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) {
    return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  }
  return { repository: reference, tag: 'latest' };
}
