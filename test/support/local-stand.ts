import { spawn } from 'node:child_process';
import { Logger } from '../../lambda/log/logger.js';
import { type LocalServer, startLocalServer } from '../../local/local-server.js';
import { type LocalSettings, localSettings } from '../../local/local-settings.js';

export const API_KEY = 'api-key-local-test-2b7d9e';
export const SECRET = 'whsec-local-test-7c3a1f9e';

/** The local mode started in this process on a free port, with captured log lines. */
export class LocalStand {
  readonly logs: string[] = [];
  settings!: LocalSettings;
  local!: LocalServer;

  /** With `withCredentials` false, the environment is taken as is (secrets are then generated). */
  async start(env: Record<string, string> = {}, withCredentials = true): Promise<this> {
    const credentials = withCredentials ? { API_KEY, WEBHOOK_SECRET: SECRET } : {};
    this.settings = localSettings({ PORT: '0', ...credentials, ...env });
    this.local = await startLocalServer(this.settings, new Logger((line) => this.logs.push(line), 'debug'));
    return this;
  }

  get url(): string {
    return this.local.server.url;
  }

  stop(): Promise<void> {
    return this.local.server.close();
  }

  entries(): Record<string, unknown>[] {
    return this.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Posts a Scalr-shaped webhook with valid credentials unless told otherwise. */
  post(body: unknown, headers: Record<string, string | undefined> = {}): Promise<Response> {
    const all: Record<string, string> = {};
    const merged = {
      'content-type': 'application/json',
      'x-api-key': API_KEY,
      authorization: `Bearer ${SECRET}`,
      ...headers,
    };
    for (const [name, value] of Object.entries(merged)) if (value !== undefined) all[name] = value;
    return fetch(this.url, { method: 'POST', headers: all, body: JSON.stringify(body) });
  }
}

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * How long a child process may run before it is killed: a guard against a hung child, not a speed
 * check. Starting tsx and compiling the entry takes well under a second on a quiet machine but tens of
 * seconds on one whose cores are busy with other work, where these tests must still pass.
 */
export const CHILD_TIMEOUT_MS = 120_000;

/** Runs a command to completion, killed after `timeoutMs` (default `CHILD_TIMEOUT_MS`). */
export function runChild(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? CHILD_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
