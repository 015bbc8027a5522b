import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../../lambda/launchers/docker/image-ref.js';

describe('parseImageRef', () => {
  it.each([
    ['scalr/agent', { repository: 'scalr/agent', tag: 'latest' }],
    ['scalr/agent:0.50.0', { repository: 'scalr/agent', tag: '0.50.0' }],
    ['registry.local:5000/team/agent', { repository: 'registry.local:5000/team/agent', tag: 'latest' }],
    ['registry.local:5000/agent:1', { repository: 'registry.local:5000/agent', tag: '1' }],
    ['agent@sha256:abc', { repository: 'agent', tag: 'sha256:abc' }],
  ])('splits the image reference %s', (reference, expected) => {
    expect(parseImageRef(reference)).toEqual(expected);
  });
});
