import { createHash, timingSafeEqual } from 'node:crypto';

/** Extracts the credential of an `Authorization: Bearer <credential>` header, or undefined. */
export function bearerCredential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Compares a presented credential with the expected secret in constant time. Both sides are hashed
 * first so neither the length nor the content of the secret leaks through timing.
 */
export function credentialMatches(presented: string, expected: string): boolean {
  if (expected.length === 0) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
