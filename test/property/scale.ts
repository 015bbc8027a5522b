/**
 * The simulation's time scale: real time, in milliseconds where production counts seconds. Imports
 * nothing, so the property test's module mocks may load it.
 */
import type { RetryPolicy } from '../../lambda/launchers/retry.js';

/** How long a non-idempotent leg's list may lag; the ACA leg's settleMs. */
export const SETTLE_MS = 20;
/** One shared template read may take as long as one attempt. */
export const TEMPLATE_READ_MS = 20;
/** Every leg's retry policy (production: DEFAULT_RETRY_POLICY). */
export const RETRY: RetryPolicy = { baseDelayMs: 2, maxDelayMs: 8, minAttemptMs: 5, attemptTimeoutMs: 20 };
