import { loadDispatcherConfig } from '../lambda/config/config.js';
import { createDispatcher } from '../lambda/dispatch/create-dispatcher.js';
import { apiGatewayHandler } from '../lambda/http/api-gateway-handler.js';
import { createLauncher } from '../lambda/launchers/registry.js';
import type { Logger } from '../lambda/log/logger.js';
import { MemoryTrailStore } from '../lambda/trail/memory-trail-store.js';
import { bannerText } from './banner.js';
import { type GatewayServer, startGatewayServer } from './gateway-server.js';
import type { LocalSettings } from './local-settings.js';

export interface LocalServer {
  readonly server: GatewayServer;
  readonly banner: string;
}

/**
 * Starts the local mode: the same dispatcher and Lambda handler as a deployment, behind the local
 * gateway. Configuration errors (shared or the target's own) surface here, before anything listens,
 * instead of as a 500 on the first request.
 */
export async function startLocalServer(settings: LocalSettings, logger: Logger): Promise<LocalServer> {
  const config = loadDispatcherConfig(settings.env);
  const launcher = createLauncher({ env: settings.env, config, logger });
  await launcher;
  // Trails live in this process: GET /tasks/{taskId} answers for what this server accepted.
  const dispatch = createDispatcher(settings.env, {
    logger,
    launcher: () => launcher,
    trail: new MemoryTrailStore(),
  });
  const server = await startGatewayServer({
    handler: apiGatewayHandler(dispatch),
    host: settings.host,
    port: settings.port,
    path: '/trigger',
    tasksPath: '/tasks',
    apiKey: settings.apiKey,
    logger,
  });
  return { server, banner: bannerText(settings, server.url) };
}
