import { describe, expect, it } from 'vitest';
import { streamError } from '../../../lambda/launchers/docker/docker-launcher.js';

describe('streamError (pull progress)', () => {
  it('finds the error line of a pull progress stream', () => {
    const stream = '{"status":"Pulling"}\n{"errorDetail":{"message":"denied"},"error":"denied"}\n';

    expect(streamError(stream)).toBe('denied');
  });

  it('finds no error in a successful pull', () => {
    expect(streamError('{"status":"Downloaded"}\n')).toBeUndefined();
  });
});
