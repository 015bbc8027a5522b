/** Types of handler.mjs for the unit test (not deployed: the asset excludes *.d.mts). */

export declare const PHYSICAL_RESOURCE_ID: string;
export declare const RETRY: { attempts: number; firstDelayMs: number; maxDelayMs: number };

export declare class AccountRoleError extends Error {
  constructor(message: string, options?: { cause?: unknown });
}

export declare function isRolePropagationError(error: unknown): boolean;

export interface AccountClient {
  /** The account's `cloudwatchRoleArn`, or '' when none is set. */
  getAccount(): Promise<string>;
  updateAccount(roleArn: string): Promise<void>;
}

export interface AccountRoleEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: Record<string, unknown>;
}

export interface AccountRoleResult {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly RoleArnInUse: string; readonly SetByThisStack: 'true' | 'false' };
}

export declare function onEvent(
  event: AccountRoleEvent,
  deps: {
    client: AccountClient;
    sleep?: (ms: number) => Promise<void>;
    log?: (line: Record<string, unknown>) => void;
    remainingMs?: () => number;
    retry?: { attempts: number; firstDelayMs: number; maxDelayMs: number };
  },
): Promise<AccountRoleResult>;

export declare function handler(
  event: AccountRoleEvent,
  context: { getRemainingTimeInMillis(): number },
): Promise<AccountRoleResult>;
