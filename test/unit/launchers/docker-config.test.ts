import { describe, expect, it } from 'vitest';
import { loadDockerConfig, parseDockerHost } from '../../../lambda/launchers/docker/docker-config.js';

describe('Docker target configuration', () => {
  it('parses unix and tcp DOCKER_HOST values', () => {
    expect(parseDockerHost('unix:///run/user/1000/docker.sock')).toEqual({
      kind: 'unix',
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(parseDockerHost('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
  });

  it('refuses DOCKER_HOST schemes it cannot use, saying which it can', () => {
    expect(() => parseDockerHost('npipe:////./pipe/docker_engine')).toThrow(
      'expected unix:///path/to/docker.sock or tcp://host:port',
    );
  });

  it('requires SCALR_URL, and defaults the engine and the image', () => {
    expect(() => loadDockerConfig({})).toThrow('SCALR_URL is not set');
    expect(loadDockerConfig({ SCALR_URL: 'https://example.scalr.io' })).toMatchObject({
      endpointText: 'unix:///var/run/docker.sock',
      image: 'scalr/agent:latest',
    });
  });
});
