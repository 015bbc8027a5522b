import type { ContextReader } from './context-reader.js';
import { IPV4_CIDR, validCidr } from './context-schemas.js';

/** Settings of the webhook API (API Gateway REST API). */
export interface ApiConfig {
  readonly stageName: string;
  /** Steady-state requests per second, on the stage and on the usage plan. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per day allowed for the API key. */
  readonly dailyQuota: number;
  /** Source IPs/CIDRs allowed to call the API; empty = any source (the API key is still required). */
  readonly allowedSourceIps: readonly string[];
  /** Set the account-wide API Gateway CloudWatch role when missing (`manageApiGatewayAccountRole`). */
  readonly manageAccountRole: boolean;
}

/** Settings of the dispatcher Lambda function. */
export interface FunctionConfig {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly launchDeadlineMs: number;
}

const STAGE_NAME = /^[A-Za-z0-9_]{1,128}$/;

/** The `api*` keys, `allowedSourceIps` and `manageApiGatewayAccountRole`. */
export function readApi(context: ContextReader): ApiConfig {
  const beforeApi = context.problems.length;
  const api: ApiConfig = {
    stageName: context.string('apiStageName', STAGE_NAME, 'a stage name (letters, digits, underscores)'),
    rateLimit: context.integer('apiRateLimit', 1, 10000),
    burstLimit: context.integer('apiBurstLimit', 1, 5000),
    dailyQuota: context.integer('apiDailyQuota', 1, 10_000_000),
    allowedSourceIps: context.list('allowedSourceIps', IPV4_CIDR, 'IPv4 addresses or CIDR blocks', validCidr),
    manageAccountRole: context.boolean('manageApiGatewayAccountRole'),
  };
  if (context.problems.length === beforeApi && api.burstLimit < api.rateLimit) {
    context.problem(
      `apiBurstLimit is ${api.burstLimit}: expected at least apiRateLimit (${api.rateLimit}), or requests at the steady rate are throttled`,
    );
  }
  return api;
}

/** `functionTimeoutSeconds`, `functionMemoryMb` and `launchDeadlineMs`, which must fit inside the timeout. */
export function readFunction(context: ContextReader): FunctionConfig {
  // API Gateway gives up after 29 s; the function must answer before that.
  const beforeFn = context.problems.length;
  const timeoutSeconds = context.integer('functionTimeoutSeconds', 5, 28);
  const launchDeadlineMs = context.integer('launchDeadlineMs', 1000, 28000);
  if (context.problems.length === beforeFn && launchDeadlineMs > timeoutSeconds * 1000 - 2000) {
    context.problem(
      `launchDeadlineMs is ${launchDeadlineMs}: expected at most ${timeoutSeconds * 1000 - 2000} (2 s below functionTimeoutSeconds ${timeoutSeconds}), so the function can still answer 503`,
    );
  }
  return {
    timeoutSeconds,
    memoryMb: context.integer('functionMemoryMb', 128, 10240),
    launchDeadlineMs,
  };
}
