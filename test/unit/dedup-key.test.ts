import { describe, expect, it } from 'vitest';
import { clientTokenFor, startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { dedupKeyOf } from '../../lambda/webhook/dedup-key.js';

describe('dedupKeyOf', () => {
  it('prefers the Idempotency-Key header over the task id', () => {
    expect(dedupKeyOf('idem-1', 'atask-1')).toBe('idem-1');
  });

  it('falls back to the task id, then to nothing', () => {
    expect(dedupKeyOf(undefined, 'atask-1')).toBe('atask-1');
    expect(dedupKeyOf(undefined, undefined)).toBeUndefined();
  });

  it('refuses empty, oversized and control-character keys', () => {
    expect(() => dedupKeyOf(' ', 'atask-1')).toThrow(/empty/);
    expect(() => dedupKeyOf('k'.repeat(257), 'atask-1')).toThrow(/longer than 256/);
    expect(() => dedupKeyOf('a\nb', 'atask-1')).toThrow(/control characters/);
  });
});

describe('clientTokenFor', () => {
  it('uses a key ECS accepts as it is', () => {
    expect(clientTokenFor('atask-v0abc123')).toBe('atask-v0abc123');
  });

  it('hashes keys that are too long or hold characters ECS refuses, to a valid stable token', () => {
    for (const key of ['k'.repeat(65), 'with space', 'ünïcödé', 'tab\tkey']) {
      const token = clientTokenFor(key);
      expect(token).toMatch(/^[\x21-\x7e]{1,64}$/);
      expect(token).not.toBe(key);
      expect(clientTokenFor(key)).toBe(token);
    }
  });

  it('gives different keys different tokens', () => {
    expect(clientTokenFor('a b')).not.toBe(clientTokenFor('a  b'));
  });
});

describe('startedByFor', () => {
  it('fits ECS startedBy (36 characters) and is stable per key', () => {
    const startedBy = startedByFor('k'.repeat(300));
    expect(startedBy).toHaveLength(36);
    expect(startedBy.startsWith('scalr-')).toBe(true);
    expect(startedByFor('k'.repeat(300))).toBe(startedBy);
    expect(startedByFor('other')).not.toBe(startedBy);
  });
});
