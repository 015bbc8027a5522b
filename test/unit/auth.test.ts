import { describe, expect, it } from 'vitest';
import { bearerCredential, credentialMatches } from '../../lambda/auth/bearer.js';

describe('bearerCredential', () => {
  it('reads the credential whatever the case of the scheme', () => {
    expect(bearerCredential('Bearer abc')).toBe('abc');
    expect(bearerCredential('bearer abc')).toBe('abc');
    expect(bearerCredential('BEARER  abc ')).toBe('abc');
  });

  it('returns nothing for other schemes, empty values or no header', () => {
    expect(bearerCredential('Basic abc')).toBeUndefined();
    expect(bearerCredential('Bearer')).toBeUndefined();
    expect(bearerCredential('Bearer a b')).toBeUndefined();
    expect(bearerCredential(undefined)).toBeUndefined();
  });
});

describe('credentialMatches', () => {
  it('matches only the exact secret', () => {
    expect(credentialMatches('s3cret', 's3cret')).toBe(true);
    expect(credentialMatches('s3cret ', 's3cret')).toBe(false);
    expect(credentialMatches('s3cre', 's3cret')).toBe(false);
    expect(credentialMatches('S3CRET', 's3cret')).toBe(false);
  });

  it('never matches an empty expected secret', () => {
    expect(credentialMatches('', '')).toBe(false);
  });
});
