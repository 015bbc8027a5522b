import { UnsupportedMediaTypeError } from '../errors.js';

/** Accepts `application/json` and `application/*+json`, in UTF-8 (the default) only. */
export function requireJsonContentType(header: string | undefined): void {
  const [type = '', ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const isJson = type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
  if (!isJson) {
    throw new UnsupportedMediaTypeError(
      header
        ? `Content-Type "${header.slice(0, 100)}" is not JSON: send application/json.`
        : 'Content-Type is missing: send application/json.',
    );
  }
  const charset = params
    .find((param) => param.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`Charset "${charset.slice(0, 40)}" is not supported: send UTF-8.`);
  }
}
