import { type Env, EnvReader } from '../../config/env-reader.js';
import { ConfigError } from '../../errors.js';
import { AGENT_SOURCES, type AgentSource } from '../agent-source.js';

/** Where the Docker Engine API listens: a unix socket (the default) or plain TCP. */
export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Settings of the local Docker target (`LAUNCH_TARGET=docker`). */
export interface DockerConfig {
  readonly endpoint: DockerEndpoint;
  /** `DOCKER_HOST` as given (or the default), for messages. */
  readonly endpointText: string;
  readonly image: string;
  /** `SCALR_URL`; empty for env0 agents, which know their own endpoint. */
  readonly scalrUrl: string;
  /**
   * Who the agents are for (`AGENT_SOURCE`): names their variables and labels.
   * @default 'scalr'
   */
  readonly source?: AgentSource;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
export const DEFAULT_AGENT_IMAGE = 'scalr/agent:latest';

/** Parses `DOCKER_HOST` the way the docker CLI does for the two schemes supported here. */
export function parseDockerHost(value: string): DockerEndpoint {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (socketPath.startsWith('/')) return { kind: 'unix', socketPath };
  } else if (value.startsWith('tcp://')) {
    const url = new URL(`http://${value.slice('tcp://'.length)}`);
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 2375) };
  }
  throw new ConfigError(
    `DOCKER_HOST is "${value}": expected unix:///path/to/docker.sock or tcp://host:port (TLS is not supported)`,
  );
}

export function loadDockerConfig(envVars: Env): DockerConfig {
  const env = new EnvReader(envVars);
  const endpointText = env.optional('DOCKER_HOST') ?? DEFAULT_DOCKER_HOST;
  const source = env.oneOf('AGENT_SOURCE', AGENT_SOURCES, 'scalr');
  const scalrUrl =
    source === 'env0'
      ? ''
      : env.required('SCALR_URL', 'the URL of your Scalr account, e.g. https://example.scalr.io');
  if (source === 'scalr' && !/^https?:\/\/[^\s/]+/.test(scalrUrl)) {
    throw new ConfigError(`SCALR_URL is "${scalrUrl}": expected a URL such as https://example.scalr.io`);
  }
  const image = env.optional('DOCKER_IMAGE') ?? DEFAULT_AGENT_IMAGE;
  if (/\s/.test(image)) throw new ConfigError(`DOCKER_IMAGE is "${image}": expected an image reference`);
  return { endpoint: parseDockerHost(endpointText), endpointText, image, scalrUrl, source };
}
