import { describe, expect, it } from 'vitest';
import { containerNameFor } from '../../../lambda/launchers/docker/container-name.js';

describe('containerNameFor', () => {
  it('names the container after a readable key, and hashes any other key', () => {
    expect(containerNameFor('atask-v0abc')).toBe('scalr-agent-atask-v0abc');
    expect(containerNameFor('key with spaces')).toMatch(/^scalr-agent-h-[0-9a-f]{40}$/);
    expect(containerNameFor('key with spaces')).toBe(containerNameFor('key with spaces'));
  });
});
