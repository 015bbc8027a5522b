import type { LocalSettings } from './local-settings.js';

const TARGET_NOTES: Record<string, string> = {
  'dry-run': 'no container starts; the RunTask input is logged instead',
  docker: 'agents start as local containers through the Docker Engine API',
  ecs: 'agents start on ECS Fargate with your AWS credentials',
  aca: 'agents start as Azure Container Apps job executions with your Azure credentials',
};

/** Single-quotes a value for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The start-up banner: where the server listens, what it launches, the credentials to call it with and
 * a ready-to-paste curl. Generated secrets are printed (they exist only in this process); secrets the
 * operator gave are referenced as shell variables instead, so they do not land in terminal scrollback.
 */
export function bannerText(settings: LocalSettings, url: string): string {
  const { origins } = settings;
  const generatedKey = origins.apiKey === 'generated' ? settings.apiKey : undefined;
  const generatedSecret = origins.webhookSecret === 'generated' ? settings.env.WEBHOOK_SECRET : undefined;
  // A literal when generated, else the shell variable the operator set (double quotes let it expand).
  const arg = (prefix: string, value: string | undefined, variable: string) =>
    value !== undefined ? shellQuote(`${prefix}${value}`) : `"${prefix}$${variable}"`;
  const describe = {
    apiKey:
      generatedKey !== undefined ? `${generatedKey}  (generated; set API_KEY to choose)` : 'from API_KEY',
    webhookSecret:
      generatedSecret !== undefined
        ? `${generatedSecret}  (generated; set WEBHOOK_SECRET to choose)`
        : origins.webhookSecret === 'secrets-manager'
          ? 'from Secrets Manager (WEBHOOK_SECRET_ARN)'
          : 'from WEBHOOK_SECRET',
    agentToken: {
      dummy: 'a dummy (fine for dry-run: no agent starts; set AGENT_TOKEN for a real target)',
      given: 'from AGENT_TOKEN',
      'secrets-manager': 'from Secrets Manager (AGENT_TOKEN_SECRET_ARN)',
      generated: 'generated',
      missing: 'NOT SET: launches will fail until AGENT_TOKEN is set',
    }[origins.agentToken],
  };
  const body = '{"task_id":"atask-local-1","action":"plan","run_id":"run-local-1"}';
  return [
    '',
    'agent-dispatcher (local mode)',
    `  listening     ${url}`,
    `  target        ${settings.target}: ${TARGET_NOTES[settings.target] ?? ''}`,
    `  API key       ${describe.apiKey}`,
    `  secret        ${describe.webhookSecret}`,
    `  agent token   ${describe.agentToken}`,
    '',
    'Send a webhook as Scalr does (a repeat of the same Idempotency-Key answers "duplicate": true):',
    '',
    `curl -sS -i -X POST ${shellQuote(url)} -H 'Content-Type: application/json' \\`,
    `  -H ${arg('x-api-key: ', generatedKey, 'API_KEY')} -H ${arg('Authorization: Bearer ', generatedSecret, 'WEBHOOK_SECRET')} \\`,
    `  -H 'Idempotency-Key: atask-local-1' -d ${shellQuote(body)}`,
    '',
    'or, with a fresh task id each time:',
    '',
    `npm run trigger -- --url ${shellQuote(url)} --api-key ${arg('', generatedKey, 'API_KEY')} --secret ${arg('', generatedSecret, 'WEBHOOK_SECRET')}`,
    '',
    'Stop with Ctrl+C: requests in flight are answered first.',
    '',
  ].join('\n');
}
